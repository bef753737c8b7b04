using Alba;
using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

[Collection(ApiHostGroup.Name)]
public sealed class EnqueueJobTests(ApiHost api)
{
    [Fact]
    public async Task Enqueue_returns_created_job()
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Json(new EnqueueJobRequest { Kind = "send_email" }).ToUrl("/v1/jobs");
            s.StatusCodeShouldBe(201);
            s.ContentTypeShouldBe("application/json; charset=utf-8");
        });

        var job = await result.ReadAsJsonAsync<Job>();
        Assert.True(job.Id > 0);
        Assert.Equal($"/v1/jobs/{job.Id}", result.Context.Response.Headers.Location.ToString());
        Assert.Equal("send_email", job.Kind);
        Assert.Equal("default", job.Queue);
        Assert.Equal(JobState.Available, job.State);
        Assert.Equal(System.Text.Json.JsonValueKind.Object, job.Args.ValueKind);
        Assert.Empty(job.Args.EnumerateObject());
        Assert.Equal(0, job.Priority);
        Assert.Equal(20, job.MaxAttempts);
        Assert.Null(job.TimeoutSeconds);
        Assert.Empty(job.Tags);
        Assert.Equal(0, job.Attempt);
    }

    [Fact]
    public async Task Enqueue_stores_every_given_field()
    {
        var queue = ApiRequests.UniqueQueue();
        var job = await api.EnqueueAsync($$$"""
            {"kind": "resize", "queue": "{{{queue}}}", "args": {"w": 640, "names": ["a", "b"]}, "priority": -5,
             "max_attempts": 3, "timeout_seconds": 1.5, "tags": ["img", "bulk"], "run_at": "2099-01-02T03:04:05+02:00"}
            """);

        Assert.Equal(queue, job.Queue);
        Assert.Equal(640, job.Args.GetProperty("w").GetInt32());
        Assert.Equal("b", job.Args.GetProperty("names")[1].GetString());
        Assert.Equal(-5, job.Priority);
        Assert.Equal(3, job.MaxAttempts);
        Assert.Equal(1.5, job.TimeoutSeconds);
        Assert.Equal(["img", "bulk"], job.Tags);
        Assert.Equal(JobState.Scheduled, job.State);
        Assert.Equal(new DateTimeOffset(2099, 1, 2, 1, 4, 5, TimeSpan.Zero), job.ScheduledAt);

        var stored = await api.GetAsync($"/v1/jobs/{job.Id}");
        Assert.Equal(200, stored.Status);
        Assert.Equal(job.Id, stored.Read<Job>().Id);
    }

    [Fact]
    public async Task Enqueue_with_delay_schedules_job_later()
    {
        var before = DateTimeOffset.UtcNow;
        var job = await api.EnqueueAsync("""{"kind": "later", "delay_seconds": 3600}""");

        Assert.Equal(JobState.Scheduled, job.State);
        Assert.True(job.ScheduledAt > before.AddMinutes(59), $"scheduled_at {job.ScheduledAt:O} is not about an hour ahead");
    }

    [Fact]
    public async Task Enqueue_accepts_extreme_valid_values()
    {
        var job = await api.EnqueueAsync("""
            {"kind": "edge", "priority": -32768, "max_attempts": 1000, "timeout_seconds": 0.0001,
             "args": [1e300, -0.0, "\u00e9\ud83d\ude00", null, {"": true}]}
            """);

        Assert.Equal(-32768, job.Priority);
        Assert.Equal(1000, job.MaxAttempts);
        Assert.Equal(0.001, job.TimeoutSeconds);
        Assert.Equal("é😀", job.Args[2].GetString());
    }
}
