using JobQueue.Storage;

namespace JobQueue.Worker;

/// <summary>Applies pending migrations during start-up, before the other hosted services start.</summary>
internal sealed class MigrationService(Migrator migrator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
