using System.Diagnostics;
using JobQueue.Contracts;

namespace JobQueue.Storage.Telemetry;

/// <summary>
/// The <c>send {queue}</c> producer span of an enqueue and the enqueue counter. Every job of one
/// insert stores the context of the same span, which is the parent of each job's first
/// <c>process</c> span and a link of its later ones.
/// </summary>
internal static class EnqueueTelemetry
{
    /// <summary>Starts the send span, or returns null when nothing listens to the source.</summary>
    public static Activity? StartSend(IReadOnlyList<NewJob> jobs)
    {
        if (!JobQueueTelemetry.Source.HasListeners())
        {
            return null;
        }

        // One destination gives the span its name; a batch across queues is a plain "send", as
        // the messaging conventions name an operation on several destinations.
        var queue = jobs.Count > 0 && jobs.All(j => j.Queue == jobs[0].Queue) ? jobs[0].Queue : null;
        var activity = JobQueueTelemetry.Source.StartActivity(queue is null ? "send" : $"send {queue}", ActivityKind.Producer);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag(JobQueueTelemetry.SystemAttribute, JobQueueTelemetry.MessagingSystem);
        activity.SetTag(JobQueueTelemetry.OperationTypeAttribute, "send");
        activity.SetTag(JobQueueTelemetry.OperationNameAttribute, "send");
        if (queue is not null)
        {
            activity.SetTag(JobQueueTelemetry.DestinationAttribute, queue);
        }

        if (jobs.Count > 1)
        {
            activity.SetTag(JobQueueTelemetry.BatchCountAttribute, jobs.Count);
        }
        else if (jobs.Count == 1)
        {
            activity.SetTag(JobQueueTelemetry.KindAttribute, jobs[0].Kind);
        }

        return activity;
    }

    /// <summary>
    /// The context stored with the jobs: the send span's, or without one the caller's current
    /// activity (such as the HTTP request), so that a trace still connects when only some
    /// sources are sampled.
    /// </summary>
    public static string? ContextToStore(Activity? send) => TraceContext.Capture(send ?? Activity.Current);

    /// <summary>Records the committed jobs on the span and in the enqueue counter.</summary>
    public static void Committed(Activity? send, IReadOnlyList<Job> jobs)
    {
        if (send is not null && jobs.Count == 1)
        {
            send.SetTag(JobQueueTelemetry.MessageIdAttribute, jobs[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (!JobQueueMetrics.Enqueued.Enabled)
        {
            return;
        }

        foreach (var group in jobs.GroupBy(j => (j.Queue, j.Kind)))
        {
            JobQueueMetrics.Enqueued.Add(group.Count(), JobQueueMetrics.JobTags(group.Key.Queue, group.Key.Kind));
        }
    }

    /// <summary>Marks the span failed with the exception's type.</summary>
    public static void Failed(Activity? send, Exception exception)
    {
        if (send is null)
        {
            return;
        }

        send.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        send.SetTag(JobQueueTelemetry.ErrorTypeAttribute, exception.GetType().FullName);
    }
}
