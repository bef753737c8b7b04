using Npgsql;

namespace JobQueue.Api.Hosting;

/// <summary>
/// Deletes rows that are no longer needed every <c>interval</c>, in batches of
/// <see cref="BatchSize"/> and at most <see cref="MaxBatchesPerRun"/> batches per run, so one run
/// stays short however many rows are due. Every API process runs each cleanup, and the deletes
/// use <c>SKIP LOCKED</c> so that the processes share the work. The first run waits one interval,
/// so start-up and migrations are done by then.
/// </summary>
internal abstract class BatchedCleanupService(TimeSpan interval, TimeProvider timeProvider) : BackgroundService
{
    public const int BatchSize = 1000;
    public const int MaxBatchesPerRun = 10;

    /// <summary>Deletes at most <paramref name="limit"/> rows and returns how many it deleted.</summary>
    protected abstract Task<int> DeleteBatchAsync(int limit, CancellationToken cancellationToken);

    protected abstract void LogDeleted(int count);

    protected abstract void LogFailed(Exception exception, double intervalMinutes);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RunOnceAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping. A host that fails to start cancels the token when it is disposed rather
            // than through StopAsync, and the loop ends the same way then.
        }
    }

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            var deleted = 0;
            for (var batch = 0; batch < MaxBatchesPerRun; batch++)
            {
                var count = await DeleteBatchAsync(BatchSize, cancellationToken);
                deleted += count;
                if (count < BatchSize)
                {
                    break;
                }
            }

            if (deleted > 0)
            {
                LogDeleted(deleted);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            LogFailed(exception, interval.TotalMinutes);
        }
    }
}
