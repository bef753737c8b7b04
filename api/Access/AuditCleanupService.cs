using JobQueue.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobQueue.Api.Access;

/// <summary>
/// Deletes audit entries older than <see cref="AuditOptions.Retention"/> every
/// <see cref="Interval"/>, oldest first, in batches of <see cref="BatchSize"/> and at most
/// <see cref="MaxBatchesPerRun"/> per run, so one run stays short. Every API process runs it;
/// <c>SKIP LOCKED</c> lets them share the work.
/// </summary>
internal sealed class AuditCleanupService(
    AuditStore store, IOptions<AuditOptions> options, TimeProvider timeProvider, ILogger<AuditCleanupService> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);
    public const int BatchSize = 1000;
    public const int MaxBatchesPerRun = 10;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, timeProvider);
        // The first run waits one interval, so start-up and migrations are done by then.
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var deleted = 0;
                for (var batch = 0; batch < MaxBatchesPerRun; batch++)
                {
                    var count = await store.DeleteOlderThanAsync(options.Value.Retention, BatchSize, stoppingToken);
                    deleted += count;
                    if (count < BatchSize)
                    {
                        break;
                    }
                }

                if (deleted > 0)
                {
                    ApiLog.AuditEntriesDeleted(logger, deleted);
                }
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                ApiLog.AuditCleanupFailed(logger, exception, Interval.TotalMinutes);
            }
        }
    }
}
