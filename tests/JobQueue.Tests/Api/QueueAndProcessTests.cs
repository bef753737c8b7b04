using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

[Collection(ApiHostGroup.Name)]
public sealed class QueueAndProcessTests(ApiHost api)
{
    [Fact]
    public async Task Pause_and_resume_change_the_queue()
    {
        var queue = ApiRequests.UniqueQueue();
        await api.EnqueueAsync($$"""{"kind": "a", "queue": "{{queue}}"}""");

        var paused = await api.SendAsync(HttpMethod.Post, $"/v1/queues/{queue}/pause");
        var listed = (await api.GetAsync("/v1/queues")).Read<QueueList>();
        var resumed = await api.SendAsync(HttpMethod.Post, $"/v1/queues/{queue}/resume");

        Assert.Equal(200, paused.Status);
        Assert.True(paused.Read<QueueSummary>().Paused);
        Assert.NotNull(paused.Read<QueueSummary>().PausedAt);
        Assert.Equal(1, paused.Read<QueueSummary>().Counts.Available);
        Assert.True(Assert.Single(listed.Queues, q => q.Name == queue).Paused);
        Assert.Equal(200, resumed.Status);
        Assert.False(resumed.Read<QueueSummary>().Paused);
        Assert.Null(resumed.Read<QueueSummary>().PausedAt);
    }

    [Fact]
    public async Task Paused_empty_queue_is_listed_and_accepts_jobs()
    {
        var queue = ApiRequests.UniqueQueue();

        var paused = await api.SendAsync(HttpMethod.Post, $"/v1/queues/{queue}/pause");
        var listed = (await api.GetAsync("/v1/queues")).Read<QueueList>();
        var job = await api.EnqueueAsync($$"""{"kind": "a", "queue": "{{queue}}"}""");

        Assert.Equal(200, paused.Status);
        var summary = Assert.Single(listed.Queues, q => q.Name == queue);
        Assert.True(summary.Paused);
        Assert.Equal(0, summary.Counts.Available);
        Assert.Equal(JobState.Available, job.State);
        await api.SendAsync(HttpMethod.Post, $"/v1/queues/{queue}/resume");
    }

    [Theory]
    [InlineData("/v1/queues/a%20b/pause")]
    [InlineData("/v1/queues/a:b/resume")]
    [InlineData("/v1/queues/q%0A/pause")]
    public async Task Invalid_queue_name_is_rejected(string url)
    {
        var response = await api.SendAsync(HttpMethod.Post, url);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(ProblemTypes.ValidationFailed, response.Json.GetProperty("type").GetString());
        Assert.Contains("name", response.ErrorFields);
    }

    [Fact]
    public async Task Processes_lists_registered_worker_with_running_job()
    {
        var queue = ApiRequests.UniqueQueue();
        var workerId = "api-test-" + Guid.NewGuid().ToString("N")[..8];
        var processes = new ProcessStore(api.Database.DataSource);
        await processes.HeartbeatAsync(workerId, "host-x", 1234, $"{queue}:3",
            """[{"name":"q:3","slots":3,"busy":1}]""", ["echo"], CancellationToken.None);
        var job = await api.EnqueueAsync($$"""{"kind": "echo", "queue": "{{queue}}"}""");
        await api.Database.Jobs.ClaimAsync(new QueueFilter([queue], false), 1, workerId, TimeSpan.FromMinutes(1), CancellationToken.None);

        var response = await api.GetAsync("/v1/processes");

        Assert.Equal(200, response.Status);
        var process = Assert.Single(response.Read<ProcessList>().Processes, p => p.Id == workerId);
        Assert.Equal("host-x", process.Host);
        Assert.Equal(1234, process.Pid);
        Assert.Equal(3, Assert.Single(process.Pools).Slots);
        Assert.Equal(1, process.Pools[0].Busy);
        Assert.Equal(["echo"], process.Kinds);
        var running = Assert.Single(process.Running);
        Assert.Equal(job.Id, running.Id);
        Assert.Equal(1, running.Attempt);
        await processes.UnregisterAsync(workerId, CancellationToken.None);
    }
}

[Collection(ApiHostGroup.Name)]
public sealed class JobLimitTests(ApiHost api)
{
    [Fact]
    public async Task Enqueue_stores_concurrency_and_rate_limit()
    {
        var job = await api.EnqueueAsync("""
            {"kind": "mail", "concurrency": {"key": "tenant:9", "limit": 3},
             "rate_limit": {"key": "smtp", "limit": 50, "period_seconds": 2.5}}
            """);

        var stored = (await api.GetAsync($"/v1/jobs/{job.Id}")).Read<Job>();

        Assert.Equal("tenant:9", stored.Concurrency!.Key);
        Assert.Equal(3, stored.Concurrency.Limit);
        Assert.Equal("smtp", stored.RateLimit!.Key);
        Assert.Equal(50, stored.RateLimit.Limit);
        Assert.Equal(2.5, stored.RateLimit.PeriodSeconds);
    }

    [Fact]
    public async Task Job_without_limits_has_none()
    {
        var job = await api.EnqueueAsync("""{"kind": "plain"}""");

        Assert.Null(job.Concurrency);
        Assert.Null(job.RateLimit);
    }
}
