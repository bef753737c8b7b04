using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace JobQueue.Storage.Telemetry;

/// <summary>
/// The activity source and meter of the job queue, and the attribute names its spans and
/// metrics share. Names follow the OpenTelemetry messaging semantic conventions where they
/// define one; the rest are under <c>jobqueue.</c>.
/// </summary>
public static class JobQueueTelemetry
{
    /// <summary>Name of the <see cref="ActivitySource"/> and the <see cref="Meter"/>.</summary>
    public const string Name = "JobQueue";

    /// <summary>Value of <c>messaging.system</c> on every span and metric.</summary>
    public const string MessagingSystem = "jobqueue";

    public const string SystemAttribute = "messaging.system";
    public const string OperationTypeAttribute = "messaging.operation.type";
    public const string OperationNameAttribute = "messaging.operation.name";
    public const string DestinationAttribute = "messaging.destination.name";
    public const string MessageIdAttribute = "messaging.message.id";
    public const string BatchCountAttribute = "messaging.batch.message_count";
    public const string ClientIdAttribute = "messaging.client.id";
    public const string ErrorTypeAttribute = "error.type";
    public const string KindAttribute = "jobqueue.job.kind";
    public const string AttemptAttribute = "jobqueue.job.attempt";
    public const string OutcomeAttribute = "jobqueue.job.outcome";

    public static ActivitySource Source { get; } = new(Name);

    public static Meter Meter { get; } = new(Name);
}
