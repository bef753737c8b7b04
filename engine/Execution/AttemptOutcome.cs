using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Engine.Execution;

/// <summary>How one attempt ended, as a dispatcher reports it.</summary>
public abstract record AttemptOutcome
{
    private AttemptOutcome()
    {
    }

    /// <summary>The attempt succeeded; <paramref name="ResultJson"/> is stored as the job's result.</summary>
    public sealed record Succeeded(string? ResultJson) : AttemptOutcome;

    /// <summary>
    /// The attempt failed. <paramref name="Retry"/> false discards the job even with attempts
    /// left. <paramref name="RetryAfter"/>, when set, replaces the backoff delay, for a target
    /// that said when to come back.
    /// </summary>
    public sealed record Failed(JobFailure Failure, bool Retry = true, TimeSpan? RetryAfter = null) : AttemptOutcome;

    /// <summary>
    /// The attempt is given back without counting it: stopped for shutdown (due again at once),
    /// or not started because its webhook route's circuit is open (due after <paramref name="Delay"/>).
    /// </summary>
    public sealed record Released(JobFailure Reason, TimeSpan Delay = default) : AttemptOutcome;
}

/// <summary>Runs claimed attempts of the kinds it serves; in-process handlers and webhooks are the two kinds of dispatcher.</summary>
public interface IJobDispatcher
{
    /// <summary>Whether this dispatcher runs jobs of <paramref name="kind"/>.</summary>
    bool Serves(string kind);

    /// <summary>
    /// Whether this dispatcher runs <paramref name="job"/>. By default, jobs of the kinds it
    /// serves that do not name their own <c>webhook_url</c>: such a job goes to its URL, so only
    /// the webhook dispatcher takes it, whatever its kind.
    /// </summary>
    bool Serves(Job job) => job.WebhookUrl is null && Serves(job.Kind);

    /// <summary>Time limit of one attempt of <paramref name="kind"/> when the job sets none, or null for no limit.</summary>
    TimeSpan? DefaultTimeoutFor(string kind);

    /// <summary>Time limit of one attempt of <paramref name="job"/> when it sets none, or null for no limit.</summary>
    TimeSpan? DefaultTimeoutFor(Job job) => DefaultTimeoutFor(job.Kind);

    /// <summary>
    /// Runs one attempt. Throws <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> fires; the caller tells timeout, cancel and shutdown apart.
    /// </summary>
    Task<AttemptOutcome> DispatchAsync(Handlers.JobContext job, CancellationToken cancellationToken);
}
