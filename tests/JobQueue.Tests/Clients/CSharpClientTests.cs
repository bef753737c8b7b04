using System.Text.Json;
using System.Text.Json.Nodes;
using JobQueue.Client;

namespace JobQueue.Tests.Clients;

/// <summary>
/// Drives the API through the C# client that NSwag generates from openapi.yaml at build time
/// (clients/csharp), against the published API and worker processes. The same operations as the
/// TypeScript client's tests in clients/typescript/test.
/// </summary>
public sealed class CSharpClientTests(ClientServices services) : IClassFixture<ClientServices>
{
    private const int OneHourSeconds = 3600;
    private static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(20);

    private readonly JobQueueClient _client = services.Client;

    // xunit creates an instance per test, so each test lists only the jobs it tagged itself.
    private readonly string _tag = $"cs-{Guid.NewGuid():N}"[..11];

    [Fact]
    public async Task Enqueued_job_completes_with_args_as_result()
    {
        var args = JsonSerializer.Deserialize<JsonElement>("""{"hello": "world", "n": [1, 2, 3]}""");

        var job = await _client.EnqueueJobAsync(new EnqueueJobRequest { Kind = "echo", Args = args, Tags = [_tag] });

        Assert.Equal("echo", job.Kind);
        Assert.Equal("default", job.Queue);
        var done = await WaitForStateAsync(job.Id!.Value, JobState.Completed);
        AssertJsonEqual(args, done.Result);
        Assert.Equal(1, done.Attempt);
        Assert.NotNull(done.Finished_at);
    }

    [Fact]
    public async Task Batch_jobs_complete_in_request_order()
    {
        var request = new EnqueueBatchRequest
        {
            Jobs =
            [
                new EnqueueJobRequest { Kind = "echo", Args = new { index = 0 }, Tags = [_tag] },
                new EnqueueJobRequest { Kind = "echo", Args = new { index = 1 }, Tags = [_tag], Priority = -5 },
                new EnqueueJobRequest { Kind = "echo", Args = new { index = 2 }, Tags = [_tag], Queue = $"q-{_tag}" },
            ],
        };

        var jobs = (await _client.EnqueueJobsAsync(request)).Jobs!.ToList();

        Assert.Equal(3, jobs.Count);
        Assert.Equal([0, 1, 2], jobs.Select(job => ((JsonElement)job.Args!).GetProperty("index").GetInt32()));
        Assert.Equal(-5, jobs[1].Priority);
        Assert.Equal($"q-{_tag}", jobs[2].Queue);
        foreach (var job in jobs)
        {
            var done = await WaitForStateAsync(job.Id!.Value, JobState.Completed);
            AssertJsonEqual(job.Args, done.Result);
        }
    }

    [Fact]
    public async Task Run_at_sets_scheduled_at()
    {
        var runAt = new DateTimeOffset(DateTimeOffset.UtcNow.AddHours(1).Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond,
            TimeSpan.Zero);

        var job = await _client.EnqueueJobAsync(new EnqueueJobRequest { Kind = "echo", Run_at = runAt, Tags = [_tag] });

        Assert.Equal(JobState.Scheduled, job.State);
        Assert.Equal(runAt, job.Scheduled_at);
    }

    [Fact]
    public async Task Cancelled_scheduled_job_runs_after_retry()
    {
        var scheduled = await _client.EnqueueJobAsync(new EnqueueJobRequest
        {
            Kind = "echo",
            Args = new { retried = true },
            Delay_seconds = OneHourSeconds,
            Tags = [_tag],
        });
        Assert.Equal(JobState.Scheduled, scheduled.State);
        var id = scheduled.Id!.Value;

        var cancelled = await _client.CancelJobAsync(id);
        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.NotNull(cancelled.Finished_at);

        var retried = await _client.RetryJobAsync(id);
        Assert.Equal(JobState.Available, retried.State);

        var done = await WaitForStateAsync(id, JobState.Completed);
        AssertJsonEqual(JsonSerializer.SerializeToElement(new { retried = true }), done.Result);
    }

    [Fact]
    public async Task Running_job_cannot_be_retried()
    {
        var sleeping = await _client.EnqueueJobAsync(new EnqueueJobRequest { Kind = "sleep", Args = new { ms = 30_000 }, Tags = [_tag] });
        var id = sleeping.Id!.Value;
        await WaitForStateAsync(id, JobState.Running);

        var conflict = await Assert.ThrowsAsync<JobQueueApiException<ProblemDetails>>(() => _client.RetryJobAsync(id));

        Assert.Equal(409, conflict.StatusCode);
        Assert.Equal(Contracts.ProblemTypes.InvalidState, conflict.Result.Type);
        await _client.CancelJobAsync(id);
        var cancelled = await WaitForStateAsync(id, JobState.Cancelled);
        Assert.NotNull(cancelled.Finished_at);
    }

    [Fact]
    public async Task List_pages_follow_next_page_token()
    {
        var request = new EnqueueBatchRequest
        {
            Jobs = Enumerable.Range(0, 5).Select(index => new EnqueueJobRequest { Kind = "noop", Args = new { index }, Tags = [_tag] }).ToList(),
        };
        var enqueued = (await _client.EnqueueJobsAsync(request)).Jobs!.Select(job => job.Id!.Value).ToList();

        var seen = new List<long>();
        string? pageToken = null;

        // Five jobs in pages of two take three pages; ten is a bound that fails instead of looping.
        for (var page = 0; page < 10; page++)
        {
            var jobPage = await _client.ListJobsAsync(null, null, null, _tag, 2, pageToken);
            Assert.InRange(jobPage.Jobs!.Count, 0, 2);
            seen.AddRange(jobPage.Jobs.Select(job => job.Id!.Value));
            pageToken = jobPage.Next_page_token;
            if (pageToken is null)
            {
                break;
            }
        }

        // Newest first: batch jobs get ascending ids, so the list is the batch reversed.
        Assert.Null(pageToken);
        Assert.Equal(Enumerable.Reverse(enqueued), seen);
    }

    [Fact]
    public async Task Empty_kind_fails_validation_naming_kind()
    {
        var problem = await Assert.ThrowsAsync<JobQueueApiException<ProblemDetails>>(
            () => _client.EnqueueJobAsync(new EnqueueJobRequest { Kind = "" }));

        Assert.Equal(400, problem.StatusCode);
        Assert.Equal(Contracts.ProblemTypes.ValidationFailed, problem.Result.Type);
        Assert.Equal(400, problem.Result.Status);
        Assert.NotNull(problem.Result.Errors);
        Assert.Contains("kind", problem.Result.Errors.Keys);
        Assert.NotEmpty(problem.Result.Errors["kind"]);
    }

    [Fact]
    public async Task Page_size_out_of_range_names_page_size()
    {
        var problem = await Assert.ThrowsAsync<JobQueueApiException<ProblemDetails>>(
            () => _client.ListJobsAsync(null, null, null, null, 0, null));

        Assert.Equal(400, problem.StatusCode);
        Assert.Equal(Contracts.ProblemTypes.ValidationFailed, problem.Result.Type);
        Assert.Contains("page_size", problem.Result.Errors!.Keys);
    }

    [Fact]
    public async Task Unknown_job_id_is_not_found()
    {
        var problem = await Assert.ThrowsAsync<JobQueueApiException<ProblemDetails>>(() => _client.GetJobAsync(long.MaxValue));

        Assert.Equal(404, problem.StatusCode);
        Assert.Equal(Contracts.ProblemTypes.NotFound, problem.Result.Type);
    }

    private async Task<Job> WaitForStateAsync(long id, JobState state)
    {
        var deadline = DateTimeOffset.UtcNow + WaitTimeout;
        Job? job = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            job = await _client.GetJobAsync(id);
            if (job.State == state)
            {
                return job;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Job {id} did not become {state} within {WaitTimeout.TotalSeconds} s; last seen: " +
            JsonSerializer.Serialize(job, JobQueueClient.JsonOptions));
    }

    private static void AssertJsonEqual(object? expected, object? actual)
    {
        var expectedNode = JsonSerializer.SerializeToNode(expected, JobQueueClient.JsonOptions);
        var actualNode = JsonSerializer.SerializeToNode(actual, JobQueueClient.JsonOptions);
        Assert.True(JsonNode.DeepEquals(expectedNode, actualNode),
            $"Expected {expectedNode?.ToJsonString()}, got {actualNode?.ToJsonString()}");
    }
}
