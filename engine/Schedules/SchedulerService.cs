using JobQueue.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobQueue.Engine.Schedules;

/// <summary>
/// Runs <see cref="Scheduler"/> passes until the host stops: it sleeps until the earliest known
/// slot, at most <see cref="CronOptions.PollInterval"/>, so changed schedules are read within that
/// interval. It also deletes the records of handled slots past <see cref="CronOptions.RunRetention"/>.
/// </summary>
public sealed partial class SchedulerService(
    Scheduler scheduler,
    ScheduleStore store,
    IOptions<CronOptions> options,
    TimeProvider timeProvider,
    ILogger<SchedulerService> logger) : BackgroundService
{
    private const int RetentionBatchSize = 1000;
    private const int MaxRetentionBatches = 10;
    private static readonly TimeSpan RetentionInterval = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            LogDisabled();
            return;
        }

        LogStarted(settings.PollInterval.TotalMilliseconds);
        var nextRetention = timeProvider.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                delay = await scheduler.RunDueAsync(stoppingToken);
                if (timeProvider.GetUtcNow() >= nextRetention)
                {
                    await DeleteOldRunsAsync(settings.RunRetention, stoppingToken);
                    nextRetention = timeProvider.GetUtcNow() + RetentionInterval;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogPassFailed(exception, settings.PollInterval.TotalMilliseconds);
                delay = settings.PollInterval;
            }

            try
            {
                await Task.Delay(delay, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        LogStopped();
    }

    private async Task DeleteOldRunsAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        var cutoff = timeProvider.GetUtcNow() - retention;
        for (var batch = 0; batch < MaxRetentionBatches; batch++)
        {
            if (await store.DeleteOldRunsAsync(cutoff, RetentionBatchSize, cancellationToken) < RetentionBatchSize)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 3511, Level = LogLevel.Information, Message = "Scheduler started; it reads schedules at least every {PollIntervalMs} ms")]
    private partial void LogStarted(double pollIntervalMs);

    [LoggerMessage(EventId = 3512, Level = LogLevel.Information, Message = "Scheduler stopped")]
    private partial void LogStopped();

    [LoggerMessage(EventId = 3513, Level = LogLevel.Information, Message = "Scheduler is off in this process (Cron:Enabled is false)")]
    private partial void LogDisabled();

    [LoggerMessage(EventId = 3514, Level = LogLevel.Warning, Message = "Scheduler pass failed; retrying in {DelayMs} ms")]
    private partial void LogPassFailed(Exception exception, double delayMs);
}
