using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

/// <summary>Cancel and retry over the API from each state a job can be in.</summary>
[Collection(ApiHostGroup.Name)]
public sealed class JobStateActionTests(ApiHost api)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private async Task<Job> EnqueueInAsync(string queue) =>
        await api.EnqueueAsync($$"""{"kind": "work", "queue": "{{queue}}", "max_attempts": 1}""");

    /// <summary>Enqueues a job in a queue of its own and claims it, as a worker would.</summary>
    private async Task<Job> RunningJobAsync()
    {
        var queue = ApiRequests.UniqueQueue();
        await EnqueueInAsync(queue);
        var claimed = await api.Database.Jobs.ClaimAsync(new QueueFilter([queue], false), 1, "test-worker", Lease, CancellationToken.None);
        return Assert.Single(claimed);
    }

    private async Task<Job> CompletedJobAsync()
    {
        var job = await RunningJobAsync();
        Assert.True(await api.Database.Jobs.CompleteAsync(job.Id, job.Attempt, null, CancellationToken.None));
        return job;
    }

    private async Task<Job> DiscardedJobAsync()
    {
        var job = await RunningJobAsync();
        var state = await api.Database.Jobs.FailAsync(
            job.Id, job.Attempt, new JobFailure("exception", "boom"), TimeSpan.Zero, retry: false, CancellationToken.None);
        Assert.Equal(JobState.Discarded, state);
        return job;
    }

    private Task<ApiResponse> CancelAsync(long id) => api.SendAsync(HttpMethod.Post, $"/v1/jobs/{id}/cancel");

    private Task<ApiResponse> RetryAsync(long id) => api.SendAsync(HttpMethod.Post, $"/v1/jobs/{id}/retry");

    private static void AssertProblem(ApiResponse response, int status, string type)
    {
        Assert.Equal(status, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(type, response.Json.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Cancel_available_job_cancels_it()
    {
        var job = await EnqueueInAsync(ApiRequests.UniqueQueue());

        var response = await CancelAsync(job.Id);

        Assert.Equal(200, response.Status);
        var cancelled = response.Read<Job>();
        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.NotNull(cancelled.FinishedAt);
    }

    [Fact]
    public async Task Cancel_scheduled_job_cancels_it()
    {
        var job = await api.EnqueueAsync("""{"kind": "later", "delay_seconds": 600}""");

        var response = await CancelAsync(job.Id);

        Assert.Equal(200, response.Status);
        Assert.Equal(JobState.Cancelled, response.Read<Job>().State);
    }

    [Fact]
    public async Task Cancel_running_job_only_requests_it()
    {
        var job = await RunningJobAsync();

        var response = await CancelAsync(job.Id);

        Assert.Equal(200, response.Status);
        var flagged = response.Read<Job>();
        Assert.Equal(JobState.Running, flagged.State);
        Assert.NotNull(flagged.CancelRequestedAt);
        Assert.Null(flagged.FinishedAt);
    }

    [Fact]
    public async Task Cancel_cancelled_job_is_idempotent()
    {
        var job = await EnqueueInAsync(ApiRequests.UniqueQueue());
        var first = (await CancelAsync(job.Id)).Read<Job>();

        var second = await CancelAsync(job.Id);

        Assert.Equal(200, second.Status);
        Assert.Equal(JobState.Cancelled, second.Read<Job>().State);
        Assert.Equal(first.FinishedAt, second.Read<Job>().FinishedAt);
    }

    [Fact]
    public async Task Cancel_completed_job_conflicts()
    {
        var job = await CompletedJobAsync();

        var response = await CancelAsync(job.Id);

        AssertProblem(response, 409, ProblemTypes.InvalidState);
        Assert.Contains("completed", response.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_discarded_job_conflicts()
    {
        var job = await DiscardedJobAsync();

        var response = await CancelAsync(job.Id);

        AssertProblem(response, 409, ProblemTypes.InvalidState);
        Assert.Contains("discarded", response.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_unknown_job_is_not_found()
    {
        AssertProblem(await CancelAsync(long.MaxValue), 404, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task Retry_discarded_job_makes_it_available()
    {
        var job = await DiscardedJobAsync();

        var response = await RetryAsync(job.Id);

        Assert.Equal(200, response.Status);
        var retried = response.Read<Job>();
        Assert.Equal(JobState.Available, retried.State);
        Assert.Null(retried.FinishedAt);
        Assert.Equal(2, retried.MaxAttempts);
        Assert.Single(retried.Errors);
    }

    [Fact]
    public async Task Retry_completed_job_makes_it_available()
    {
        var job = await CompletedJobAsync();

        var response = await RetryAsync(job.Id);

        Assert.Equal(200, response.Status);
        Assert.Equal(JobState.Available, response.Read<Job>().State);
    }

    [Fact]
    public async Task Retry_cancelled_job_makes_it_available()
    {
        var job = await EnqueueInAsync(ApiRequests.UniqueQueue());
        await CancelAsync(job.Id);

        var response = await RetryAsync(job.Id);

        Assert.Equal(200, response.Status);
        Assert.Equal(JobState.Available, response.Read<Job>().State);
    }

    [Fact]
    public async Task Retry_running_job_conflicts()
    {
        var job = await RunningJobAsync();

        var response = await RetryAsync(job.Id);

        AssertProblem(response, 409, ProblemTypes.InvalidState);
        Assert.Contains("running", response.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var stored = await api.Database.Jobs.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobState.Running, stored!.State);
    }

    [Fact]
    public async Task Retry_unknown_job_is_not_found()
    {
        AssertProblem(await RetryAsync(long.MaxValue), 404, ProblemTypes.NotFound);
    }
}
