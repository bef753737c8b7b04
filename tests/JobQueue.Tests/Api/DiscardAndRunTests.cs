using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

/// <summary>Discard and run-now of one job over the API, from each state a job can be in.</summary>
[Collection(ApiHostGroup.Name)]
public sealed class DiscardAndRunTests(ApiHost api)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private Task<ApiResponse> DiscardAsync(long id) => api.SendAsync(HttpMethod.Post, $"/v1/jobs/{id}/discard");

    private Task<ApiResponse> RunAsync(long id) => api.SendAsync(HttpMethod.Post, $"/v1/jobs/{id}/run");

    private async Task<Job> RunningJobAsync()
    {
        var queue = ApiRequests.UniqueQueue();
        await api.EnqueueAsync($$"""{"kind": "work", "queue": "{{queue}}", "max_attempts": 2}""");
        var claimed = await api.Database.Jobs.ClaimAsync(new QueueFilter([queue], false), 1, "test-worker", Lease, CancellationToken.None);
        return Assert.Single(claimed);
    }

    private async Task<Job> RetryableJobAsync()
    {
        var job = await RunningJobAsync();
        var state = await api.Database.Jobs.FailAsync(
            job.Id, job.Attempt, new JobFailure("exception", "flaky"), TimeSpan.FromHours(1), retry: true, CancellationToken.None);
        Assert.Equal(JobState.Retryable, state);
        return job;
    }

    private static void AssertProblem(ApiResponse response, int status, string type)
    {
        Assert.Equal(status, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(type, response.Json.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Discard_scheduled_job_records_why()
    {
        var job = await api.EnqueueAsync("""{"kind": "later", "delay_seconds": 600}""");

        var response = await DiscardAsync(job.Id);

        Assert.Equal(200, response.Status);
        var discarded = response.Read<Job>();
        Assert.Equal(JobState.Discarded, discarded.State);
        Assert.NotNull(discarded.FinishedAt);
        var error = Assert.Single(discarded.Errors);
        Assert.Equal("discarded", error.Reason);
        Assert.Equal(0, error.Attempt);
    }

    [Fact]
    public async Task Discard_retryable_job_keeps_earlier_errors()
    {
        var job = await RetryableJobAsync();

        var discarded = (await DiscardAsync(job.Id)).Read<Job>();

        Assert.Equal(JobState.Discarded, discarded.State);
        Assert.Equal(["exception", "discarded"], discarded.Errors.Select(e => e.Reason));
    }

    [Fact]
    public async Task Discard_discarded_job_is_idempotent()
    {
        var job = await api.EnqueueAsync("""{"kind": "later", "delay_seconds": 600}""");
        var first = (await DiscardAsync(job.Id)).Read<Job>();

        var second = await DiscardAsync(job.Id);

        Assert.Equal(200, second.Status);
        Assert.Single(second.Read<Job>().Errors);
        Assert.Equal(first.FinishedAt, second.Read<Job>().FinishedAt);
    }

    [Fact]
    public async Task Discard_running_job_conflicts()
    {
        var job = await RunningJobAsync();

        var response = await DiscardAsync(job.Id);

        AssertProblem(response, 409, ProblemTypes.InvalidState);
        Assert.Contains("Cancel it instead", response.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(JobState.Running, (await api.Database.Jobs.GetAsync(job.Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Discard_unknown_job_is_not_found()
    {
        AssertProblem(await DiscardAsync(long.MaxValue), 404, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task Discard_with_invalid_id_is_rejected()
    {
        var response = await api.SendAsync(HttpMethod.Post, "/v1/jobs/abc/discard");

        AssertProblem(response, 400, ProblemTypes.ValidationFailed);
    }

    [Fact]
    public async Task Run_scheduled_job_makes_it_due_now()
    {
        var job = await api.EnqueueAsync("""{"kind": "later", "delay_seconds": 3600}""");

        var response = await RunAsync(job.Id);

        Assert.Equal(200, response.Status);
        var due = response.Read<Job>();
        Assert.Equal(JobState.Available, due.State);
        Assert.True(due.ScheduledAt < job.ScheduledAt.AddMinutes(-59), $"scheduled_at is {due.ScheduledAt}");
        Assert.Equal(job.MaxAttempts, due.MaxAttempts);
    }

    [Fact]
    public async Task Run_retryable_job_skips_the_backoff()
    {
        var job = await RetryableJobAsync();

        var due = (await RunAsync(job.Id)).Read<Job>();

        Assert.Equal(JobState.Available, due.State);
        Assert.Equal(1, due.Attempt);
        Assert.Single(due.Errors);
        Assert.True(due.ScheduledAt <= DateTimeOffset.UtcNow.AddSeconds(5));
    }

    [Fact]
    public async Task Run_available_job_returns_it_unchanged()
    {
        var job = await api.EnqueueAsync("""{"kind": "now"}""");

        var response = await RunAsync(job.Id);

        Assert.Equal(200, response.Status);
        Assert.Equal(job.ScheduledAt, response.Read<Job>().ScheduledAt);
    }

    [Fact]
    public async Task Run_final_job_conflicts_and_names_retry()
    {
        var job = await api.EnqueueAsync("""{"kind": "later", "delay_seconds": 600}""");
        await DiscardAsync(job.Id);

        var response = await RunAsync(job.Id);

        AssertProblem(response, 409, ProblemTypes.InvalidState);
        Assert.Contains("Retry it", response.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_running_job_conflicts()
    {
        var job = await RunningJobAsync();

        AssertProblem(await RunAsync(job.Id), 409, ProblemTypes.InvalidState);
    }

    [Fact]
    public async Task Run_unknown_job_is_not_found()
    {
        AssertProblem(await RunAsync(long.MaxValue), 404, ProblemTypes.NotFound);
    }
}
