using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using JobQueue.Storage;
using JobQueue.Storage.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobQueue.Engine.Telemetry;

/// <summary>
/// Reads the queue depth by state and the age of the oldest due job every
/// <see cref="TelemetryOptions.QueueMetricsInterval"/>, for the observable gauges
/// <c>jobqueue.queue.depth</c> and <c>jobqueue.queue.latency</c>. Gauges read the last
/// snapshot, so a scrape never waits for the database. Every host reports the same figures:
/// aggregate them with <c>max</c>, not <c>sum</c>.
/// </summary>
public sealed partial class QueueDepthCollector(
    JobStore store, IOptions<TelemetryOptions> options, TimeProvider timeProvider, ILogger<QueueDepthCollector> logger)
    : BackgroundService
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(5);

    // Last figures per queue and state. A pair seen once keeps being reported, as 0 once its jobs
    // are gone, so that a drained queue shows 0 rather than its last value going stale.
    private static readonly ConcurrentDictionary<(string Queue, string State), long> Depths = new();
    private static readonly ConcurrentDictionary<string, double> Latencies = new(StringComparer.Ordinal);

    static QueueDepthCollector()
    {
        JobQueueTelemetry.Meter.CreateObservableGauge("jobqueue.queue.depth", ObserveDepths, "{job}",
            "Jobs per queue in each state that is not final.");
        JobQueueTelemetry.Meter.CreateObservableGauge("jobqueue.queue.latency", ObserveLatencies, "s",
            "Age of the oldest due job per queue: how long it has waited for a worker.");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.QueueMetricsInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogRefreshFailed(exception, interval.TotalSeconds);
            }

            try
            {
                await Task.Delay(interval, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Reads the figures once and replaces the snapshot.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var rows = await store.ReadDepthAsync(QueryTimeout, cancellationToken);
        var seen = new HashSet<(string, string)>();
        var latencies = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            Depths[(row.Queue, row.State)] = row.Count;
            seen.Add((row.Queue, row.State));
            latencies[row.Queue] = Math.Max(latencies.GetValueOrDefault(row.Queue), row.OldestDueAgeSeconds);
        }

        foreach (var key in Depths.Keys.Where(key => !seen.Contains(key)))
        {
            Depths[key] = 0;
        }

        foreach (var queue in Depths.Keys.Select(key => key.Queue).Distinct())
        {
            Latencies[queue] = latencies.GetValueOrDefault(queue);
        }
    }

    private static IEnumerable<Measurement<long>> ObserveDepths() => Depths.Select(pair => new Measurement<long>(pair.Value,
        new KeyValuePair<string, object?>(JobQueueTelemetry.SystemAttribute, JobQueueTelemetry.MessagingSystem),
        new KeyValuePair<string, object?>(JobQueueTelemetry.DestinationAttribute, pair.Key.Queue),
        new KeyValuePair<string, object?>("jobqueue.job.state", pair.Key.State)));

    private static IEnumerable<Measurement<double>> ObserveLatencies() => Latencies.Select(pair => new Measurement<double>(pair.Value,
        new KeyValuePair<string, object?>(JobQueueTelemetry.SystemAttribute, JobQueueTelemetry.MessagingSystem),
        new KeyValuePair<string, object?>(JobQueueTelemetry.DestinationAttribute, pair.Key)));

    [LoggerMessage(EventId = 3501, Level = LogLevel.Warning,
        Message = "Reading the queue depth for metrics failed; trying again in {IntervalSeconds} s")]
    private partial void LogRefreshFailed(Exception exception, double intervalSeconds);
}
