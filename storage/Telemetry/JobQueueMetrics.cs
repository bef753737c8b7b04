using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace JobQueue.Storage.Telemetry;

/// <summary>
/// Instruments of the <c>JobQueue</c> meter. Job counters carry the queue as
/// <c>messaging.destination.name</c> and the kind as <c>jobqueue.job.kind</c>; both are chosen by
/// producers, so keep the number of distinct queues and kinds bounded.
/// </summary>
public static class JobQueueMetrics
{
    private static readonly Meter Meter = JobQueueTelemetry.Meter;

    // Declared before the histograms, because static initializers run in textual order.
    private static readonly double[] DurationBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

    private static readonly double[] FastBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

    /// <summary>Jobs committed by an enqueue.</summary>
    public static Counter<long> Enqueued { get; } = Meter.CreateCounter<long>(
        "jobqueue.jobs.enqueued", "{job}", "Jobs enqueued.");

    /// <summary>Attempts started by a worker.</summary>
    public static Counter<long> Started { get; } = Meter.CreateCounter<long>(
        "jobqueue.jobs.started", "{attempt}", "Attempts started.");

    public static Counter<long> Completed { get; } = Meter.CreateCounter<long>(
        "jobqueue.jobs.completed", "{job}", "Jobs completed.");

    /// <summary>Failed attempts, whatever followed: a retry, a discard or a cancel.</summary>
    public static Counter<long> Failed { get; } = Meter.CreateCounter<long>(
        "jobqueue.jobs.failed", "{attempt}", "Attempts that failed.");

    public static Counter<long> Retried { get; } = Meter.CreateCounter<long>(
        "jobqueue.jobs.retried", "{job}", "Failed attempts that left the job retryable.");

    public static Counter<long> Discarded { get; } = Meter.CreateCounter<long>(
        "jobqueue.jobs.discarded", "{job}", "Jobs discarded by a worker: attempts used up, or a failure that is not retried.");

    public static Counter<long> Cancelled { get; } = Meter.CreateCounter<long>(
        "jobqueue.jobs.cancelled", "{job}", "Running jobs that a worker stopped on a cancel request.");

    public static Counter<long> Released { get; } = Meter.CreateCounter<long>(
        "jobqueue.jobs.released", "{attempt}", "Attempts given back without counting them (shutdown, open circuit).");

    public static Counter<long> Rescued { get; } = Meter.CreateCounter<long>(
        "jobqueue.jobs.rescued", "{attempt}", "Running attempts ended by the rescuer because their lease expired.");

    /// <summary>Duration of one attempt, from dispatch to the stored outcome, by outcome.</summary>
    public static Histogram<double> ProcessDuration { get; } = Meter.CreateHistogram<double>(
        "messaging.process.duration", "s", "Duration of processing one attempt of a job.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>Time a job waited from becoming due to the start of its attempt.</summary>
    public static Histogram<double> QueueWait { get; } = Meter.CreateHistogram<double>(
        "jobqueue.job.queue_wait", "s", "Time from a job becoming due to the start of an attempt.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>Duration of one claim statement round, by pool, trigger and result.</summary>
    public static Histogram<double> ClaimDuration { get; } = Meter.CreateHistogram<double>(
        "jobqueue.claim.duration", "s", "Duration of one claim of due jobs by a pool.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FastBuckets });

    /// <summary>Jobs returned per claim, by pool.</summary>
    public static Histogram<long> ClaimedJobs { get; } = Meter.CreateHistogram<long>(
        "jobqueue.claim.jobs", "{job}", "Jobs claimed by one claim of a pool.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500] });

    /// <summary>Webhook deliveries by outcome and HTTP status class.</summary>
    public static Counter<long> WebhookDeliveries { get; } = Meter.CreateCounter<long>(
        "jobqueue.webhook.deliveries", "{delivery}", "Webhook deliveries by outcome and status class.");

    /// <summary>Duration of one webhook delivery, connect to the end of the response body.</summary>
    public static Histogram<double> WebhookDuration { get; } = Meter.CreateHistogram<double>(
        "jobqueue.webhook.duration", "s", "Duration of one webhook delivery.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>The queue and kind attributes of a job counter.</summary>
    public static TagList JobTags(string queue, string kind) => new()
    {
        { JobQueueTelemetry.SystemAttribute, JobQueueTelemetry.MessagingSystem },
        { JobQueueTelemetry.DestinationAttribute, queue },
        { JobQueueTelemetry.KindAttribute, kind },
    };
}
