using JobQueue.Engine.Options;
using JobQueue.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobQueue.Engine;

/// <summary>
/// Every <see cref="WorkerOptions.IndexCheckInterval"/>, first one interval after start, rebuilds
/// the GIN indexes of the jobs table that have grown well past what their rows need (see
/// <see cref="IndexRebuildStore"/>). Every worker checks, and one at a time rebuilds.
/// </summary>
public sealed partial class IndexRebuildService(
    IndexRebuildStore store,
    IOptions<WorkerOptions> options,
    TimeProvider timeProvider,
    ILogger<IndexRebuildService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.IndexCheckInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            while (true)
            {
                await Task.Delay(interval, timeProvider, stoppingToken);
                try
                {
                    foreach (var rebuild in await store.RebuildGrownAsync(options.Value.IndexRebuildMinimumBytes, stoppingToken))
                    {
                        LogRebuilt(rebuild.Index, rebuild.SizeBefore, rebuild.SizeAfter, rebuild.Duration);
                    }
                }
                catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
                {
                    LogCheckFailed(exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 3310, Level = LogLevel.Information,
        Message = "Rebuilt index {Index}: {SizeBefore} bytes before, {SizeAfter} bytes after, in {Duration}")]
    private partial void LogRebuilt(string index, long sizeBefore, long sizeAfter, TimeSpan duration);

    [LoggerMessage(EventId = 3311, Level = LogLevel.Warning,
        Message = "Checking or rebuilding the jobs table's GIN indexes failed; trying again after the next interval")]
    private partial void LogCheckFailed(Exception exception);
}
