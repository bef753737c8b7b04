using System.Diagnostics;
using JobQueue.Engine.Execution;
using JobQueue.Storage.Telemetry;

namespace JobQueue.Engine.Webhooks;

/// <summary>
/// Records each webhook delivery in <c>jobqueue.webhook.deliveries</c> and
/// <c>jobqueue.webhook.duration</c>, by kind, outcome and HTTP status class (<c>2xx</c> to
/// <c>5xx</c>, or <c>none</c> when no response arrived).
/// </summary>
internal static class DeliveryMetrics
{
    private const string StatusClassAttribute = "http.response.status_class";

    public static void Record(string kind, AttemptOutcome outcome, TimeSpan elapsed)
    {
        switch (outcome)
        {
            case AttemptOutcome.Succeeded:
                Record(kind, "success", 200, elapsed);
                break;
            case AttemptOutcome.Failed failed:
                Record(kind, failed.Failure.Reason, failed.Failure.StatusCode, elapsed);
                break;
            case AttemptOutcome.Released released:
                Record(kind, released.Reason.Reason, null, elapsed);
                break;
        }
    }

    /// <summary>
    /// Records one delivery. <paramref name="outcome"/> is <c>success</c> or the failure reason
    /// (<c>http_status</c>, <c>timeout</c>, <c>http_error</c>, <c>blocked_destination</c>,
    /// <c>circuit_open</c>, <c>stopped</c>).
    /// </summary>
    public static void Record(string kind, string outcome, int? statusCode, TimeSpan elapsed)
    {
        var tags = new TagList
        {
            { JobQueueTelemetry.SystemAttribute, JobQueueTelemetry.MessagingSystem },
            { JobQueueTelemetry.KindAttribute, kind },
            { JobQueueTelemetry.OutcomeAttribute, outcome },
            { StatusClassAttribute, statusCode is { } code ? $"{code / 100}xx" : "none" },
        };
        JobQueueMetrics.WebhookDeliveries.Add(1, tags);
        if (outcome != "circuit_open")
        {
            JobQueueMetrics.WebhookDuration.Record(elapsed.TotalSeconds, tags);
        }
    }
}
