using JobQueue.Storage;

namespace JobQueue.Api.Hosting;

/// <summary>
/// Applies migrations before the server accepts requests, unless <c>Database:MigrateOnStartup</c>
/// is false (for operators who apply the schema with the <c>migrate</c> command). A failure stops
/// the host, because serving against an unknown schema would fail every request.
/// </summary>
internal sealed class MigrateOnStartupService(Migrator migrator, IConfiguration configuration, ILogger<MigrateOnStartupService> logger)
    : IHostedService
{
    public const string SettingKey = "Database:MigrateOnStartup";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue(SettingKey, defaultValue: true))
        {
            ApiLog.MigrationSkipped(logger);
            return;
        }

        ApiLog.MigratingOnStartup(logger);
        await migrator.MigrateAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
