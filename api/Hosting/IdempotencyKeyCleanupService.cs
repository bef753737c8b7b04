using JobQueue.Storage;
using Npgsql;

namespace JobQueue.Api.Hosting;

/// <summary>
/// Deletes expired idempotency keys every <see cref="Interval"/>, in batches of
/// <see cref="BatchSize"/> and at most <see cref="MaxBatchesPerRun"/> batches per run, so one run
/// stays short however many keys expired. Every API process runs it; <c>SKIP LOCKED</c> lets them
/// share the work. An expired key that is not deleted yet is already treated as absent.
/// </summary>
internal sealed class IdempotencyKeyCleanupService(
    IdempotencyStore keys, TimeProvider timeProvider, ILogger<IdempotencyKeyCleanupService> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
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
                    var count = await keys.DeleteExpiredAsync(BatchSize, stoppingToken);
                    deleted += count;
                    if (count < BatchSize)
                    {
                        break;
                    }
                }

                if (deleted > 0)
                {
                    ApiLog.IdempotencyKeysDeleted(logger, deleted);
                }
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                ApiLog.IdempotencyKeyCleanupFailed(logger, exception, Interval.TotalMinutes);
            }
        }
    }
}
