using Alba;
using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace JobQueue.Tests.Api;

/// <summary>The API host with <c>Api:ExecutionMode=async</c>, which runs a worker in the same process.</summary>
[Collection(ApiHostGroup.Name)]
public sealed class AsyncModeTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private IAlbaHost _host = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:JobQueue", _database.ConnectionString);
            builder.UseSetting("Api:Auth:Mode", "none");
            builder.UseSetting("Api:ExecutionMode", "async");
            builder.UseSetting("Worker:PollInterval", "00:00:00.200");
            builder.UseEnvironment("Development");
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Api_process_runs_the_job_itself()
    {
        var result = await _host.Scenario(s =>
        {
            s.Post.Json(new EnqueueJobRequest { Kind = "echo", Args = System.Text.Json.JsonDocument.Parse("""{"n":7}""").RootElement })
                .ToUrl("/v1/jobs");
            s.StatusCodeShouldBe(201);
        });
        var job = result.ReadAsJson<Job>()!;

        var done = await _database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(7, done.Result!.Value.GetProperty("n").GetInt32());
    }
}

/// <summary>The API host with <c>Api:ExecutionMode=inline</c>, which runs first attempts inside the enqueue request.</summary>
[Collection(ApiHostGroup.Name)]
public sealed class InlineModeTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private IAlbaHost _host = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:JobQueue", _database.ConnectionString);
            builder.UseSetting("Api:Auth:Mode", "none");
            builder.UseSetting("Api:ExecutionMode", "inline");
            builder.UseEnvironment("Development");
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _database.DisposeAsync();
    }

    private async Task<string> PostAsync(string url, string json)
    {
        var result = await _host.Scenario(s =>
        {
            s.Post.Text(json).ContentType("application/json").ToUrl(url);
            s.StatusCodeShouldBe(201);
        });
        return await result.ReadAsTextAsync();
    }

    [Fact]
    public async Task Enqueue_response_shows_the_outcome()
    {
        var body = await PostAsync("/v1/jobs", """{"kind": "echo", "args": {"n": 3}}""");
        var job = System.Text.Json.JsonSerializer.Deserialize<Job>(body)!;

        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(3, job.Result!.Value.GetProperty("n").GetInt32());
        Assert.Equal(1, job.Attempt);
    }

    [Fact]
    public async Task Failed_first_attempt_is_retryable_in_response()
    {
        var body = await PostAsync("/v1/jobs", """{"kind": "fail", "args": {"message": "nope"}, "max_attempts": 2}""");
        var job = System.Text.Json.JsonSerializer.Deserialize<Job>(body)!;

        Assert.Equal(JobState.Retryable, job.State);
        Assert.Equal("nope", Assert.Single(job.Errors).Message);
    }

    [Fact]
    public async Task Batch_runs_due_jobs_and_leaves_scheduled_ones()
    {
        var body = await PostAsync("/v1/jobs/batch",
            """{"jobs": [{"kind": "echo"}, {"kind": "noop"}, {"kind": "noop", "delay_seconds": 600}]}""");
        var jobs = System.Text.Json.JsonSerializer.Deserialize<EnqueueBatchResponse>(body)!.Jobs;

        Assert.Equal([JobState.Completed, JobState.Completed, JobState.Scheduled], jobs.Select(j => j.State));
    }

    [Fact]
    public async Task Idempotent_replay_shows_the_outcome()
    {
        var key = "inline-" + Guid.NewGuid().ToString("N");
        var first = await _host.Scenario(s =>
        {
            s.Post.Text("""{"kind": "echo", "args": {"n": 4}}""").ContentType("application/json").ToUrl("/v1/jobs");
            s.WithRequestHeader("Idempotency-Key", key);
            s.StatusCodeShouldBe(201);
        });
        var replay = await _host.Scenario(s =>
        {
            s.Post.Text("""{"kind": "echo", "args": {"n": 4}}""").ContentType("application/json").ToUrl("/v1/jobs");
            s.WithRequestHeader("Idempotency-Key", key);
            s.StatusCodeShouldBe(201);
            s.Header("Idempotent-Replayed").SingleValueShouldEqual("true");
        });
        var firstBody = await first.ReadAsTextAsync();
        var replayBody = await replay.ReadAsTextAsync();

        Assert.Equal(JobState.Completed, System.Text.Json.JsonSerializer.Deserialize<Job>(firstBody)!.State);
        Assert.Equal(firstBody, replayBody);
    }
}
