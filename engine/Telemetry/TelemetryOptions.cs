namespace JobQueue.Engine.Telemetry;

/// <summary>Settings of the <c>Telemetry</c> section, shared by the API and worker hosts.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    public static readonly TimeSpan DefaultQueueMetricsInterval = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often the queue depth and latency gauges are read from the database. Default 15
    /// seconds; <c>00:00:00</c> turns the query off and the gauges report nothing.
    /// </summary>
    public TimeSpan QueueMetricsInterval { get; set; } = DefaultQueueMetricsInterval;

    /// <summary>Returns a message naming the invalid setting, or null when all are valid.</summary>
    public string? Validate() =>
        QueueMetricsInterval < TimeSpan.Zero || QueueMetricsInterval > TimeSpan.FromHours(1)
            ? $"Telemetry:QueueMetricsInterval must be between 00:00:00 and 01:00:00; it is {QueueMetricsInterval}."
            : null;
}
