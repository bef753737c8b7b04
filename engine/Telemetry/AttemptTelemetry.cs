using System.Diagnostics;
using System.Globalization;
using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Storage.Telemetry;

namespace JobQueue.Engine.Telemetry;

/// <summary>
/// The <c>process {queue}</c> consumer span and the metrics of one attempt. The first attempt's
/// span is a child of the enqueue's <c>send</c> span; later attempts start traces of their own
/// that link to it, so that one trace never grows with every retry of a job.
/// </summary>
internal sealed class AttemptTelemetry : IDisposable
{
    private readonly Job _job;
    private readonly long _startedAt;
    private readonly TimeProvider _timeProvider;
    private string _outcome = "lost";

    private AttemptTelemetry(Job job, Activity? activity, TimeProvider timeProvider)
    {
        _job = job;
        Activity = activity;
        _timeProvider = timeProvider;
        _startedAt = timeProvider.GetTimestamp();
    }

    public Activity? Activity { get; }

    /// <summary>Starts the span, counts the start and records how long the job waited while due.</summary>
    public static AttemptTelemetry Start(Job job, string workerId, TimeProvider timeProvider)
    {
        var tags = JobQueueMetrics.JobTags(job.Queue, job.Kind);
        JobQueueMetrics.Started.Add(1, tags);
        if (job.AttemptedAt is { } attemptedAt)
        {
            // Both times are PostgreSQL's now(), the start of each statement's transaction. A
            // claim whose transaction began just before the enqueue's can still see the job, so
            // attempted_at can precede scheduled_at by a moment. Such a wait counts as zero.
            JobQueueMetrics.QueueWait.Record(Math.Max(0, (attemptedAt - job.ScheduledAt).TotalSeconds), tags);
        }

        return new AttemptTelemetry(job, StartActivity(job, workerId), timeProvider);
    }

    private static Activity? StartActivity(Job job, string workerId)
    {
        if (!JobQueueTelemetry.Source.HasListeners())
        {
            return null;
        }

        // The attempt belongs to the job's trace, not to whatever the claiming code runs in (an
        // inline enqueue request, for example), so the ambient activity is not the parent.
        Activity.Current = null;
        ActivityContext parent = default;
        ActivityLink[]? links = null;
        if (TraceContext.TryParse(job.TraceContext, out var enqueued))
        {
            if (job.Attempt <= 1)
            {
                parent = enqueued;
            }
            else
            {
                links = [new ActivityLink(enqueued)];
            }
        }

        var activity = JobQueueTelemetry.Source.StartActivity(
            $"process {job.Queue}", ActivityKind.Consumer, parent, tags: null, links: links);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag(JobQueueTelemetry.SystemAttribute, JobQueueTelemetry.MessagingSystem);
        activity.SetTag(JobQueueTelemetry.OperationTypeAttribute, "process");
        activity.SetTag(JobQueueTelemetry.OperationNameAttribute, "process");
        activity.SetTag(JobQueueTelemetry.DestinationAttribute, job.Queue);
        activity.SetTag(JobQueueTelemetry.MessageIdAttribute, job.Id.ToString(CultureInfo.InvariantCulture));
        activity.SetTag(JobQueueTelemetry.ClientIdAttribute, workerId);
        activity.SetTag(JobQueueTelemetry.KindAttribute, job.Kind);
        activity.SetTag(JobQueueTelemetry.AttemptAttribute, job.Attempt);
        return activity;
    }

    /// <summary>The attempt was not started because its lease ran short before it could begin.</summary>
    public void NotStarted() => _outcome = "not_started";

    /// <summary>The outcome was not stored because the attempt no longer held its lease.</summary>
    public void Fenced() => _outcome = "fenced";

    public void Completed()
    {
        _outcome = "completed";
        JobQueueMetrics.Completed.Add(1, JobQueueMetrics.JobTags(_job.Queue, _job.Kind));
    }

    public void Released(string reason)
    {
        _outcome = "released";
        Activity?.SetTag(JobQueueTelemetry.ErrorTypeAttribute, reason);
        JobQueueMetrics.Released.Add(1, JobQueueMetrics.JobTags(_job.Queue, _job.Kind));
    }

    /// <summary>Records a failed attempt and what became of the job.</summary>
    public void Failed(string reason, JobState state)
    {
        var tags = JobQueueMetrics.JobTags(_job.Queue, _job.Kind);
        JobQueueMetrics.Failed.Add(1, tags);
        switch (state)
        {
            case JobState.Retryable:
                JobQueueMetrics.Retried.Add(1, tags);
                break;
            case JobState.Cancelled:
                JobQueueMetrics.Cancelled.Add(1, tags);
                break;
            default:
                JobQueueMetrics.Discarded.Add(1, tags);
                break;
        }

        _outcome = JobStates.ToName(state);
        Activity?.SetStatus(ActivityStatusCode.Error, reason);
        Activity?.SetTag(JobQueueTelemetry.ErrorTypeAttribute, reason);
    }

    /// <summary>Ends the span and records the attempt's duration with its outcome.</summary>
    public void Dispose()
    {
        var tags = JobQueueMetrics.JobTags(_job.Queue, _job.Kind);
        tags.Add(JobQueueTelemetry.OperationNameAttribute, "process");
        tags.Add(JobQueueTelemetry.OutcomeAttribute, _outcome);
        JobQueueMetrics.ProcessDuration.Record(_timeProvider.GetElapsedTime(_startedAt).TotalSeconds, tags);
        if (Activity is not null)
        {
            Activity.SetTag(JobQueueTelemetry.OutcomeAttribute, _outcome);
            Activity.Dispose();
        }
    }
}
