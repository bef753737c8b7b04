using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

/// <summary>GET /v1/stats: per-queue counts, latency, pause, and finished jobs per time bucket.</summary>
[Collection(ApiHostGroup.Name)]
public sealed class StatsTests(ApiHost api)
{
    private async Task<QueueStats> StatsAsync(string query = "")
    {
        var response = await api.GetAsync("/v1/stats" + query);
        Assert.True(response.Status == 200, response.Body);
        return response.Read<QueueStats>();
    }

    [Fact]
    public async Task Stats_count_states_and_latency_per_queue()
    {
        var queue = ApiRequests.UniqueQueue();
        var waiting = await api.EnqueueAsync($$"""{"kind": "work", "queue": "{{queue}}"}""");
        await api.EnqueueAsync($$"""{"kind": "work", "queue": "{{queue}}", "delay_seconds": 600}""");
        await api.Database.ExecuteAsync(
            "UPDATE jobqueue.jobs SET scheduled_at = now() - interval '90 seconds' WHERE id = $1", waiting.Id);
        await api.PostJsonAsync($"/v1/queues/{queue}/pause", "");

        var stats = await StatsAsync();

        var entry = Assert.Single(stats.Queues, q => q.Name == queue);
        Assert.Equal(1, entry.Counts.Available);
        Assert.Equal(1, entry.Counts.Scheduled);
        Assert.True(entry.Paused);
        Assert.NotNull(entry.OldestAvailableAt);
        Assert.InRange(entry.LatencySeconds, 85, 600);
        Assert.True(stats.Totals.Available >= 1);
    }

    [Fact]
    public async Task Stats_bucket_finished_jobs_by_state()
    {
        var queue = ApiRequests.UniqueQueue();
        await api.EnqueueAsync($$"""{"kind": "work", "queue": "{{queue}}"}""");
        await api.EnqueueAsync($$"""{"kind": "work", "queue": "{{queue}}"}""");
        var claimed = await api.Database.Jobs.ClaimAsync(
            new QueueFilter([queue], false), 2, "test-worker", TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.Equal(2, claimed.Count);
        await api.Database.Jobs.CompleteAsync(claimed[0].Id, claimed[0].Attempt, null, CancellationToken.None);
        await api.Database.Jobs.FailAsync(claimed[1].Id, claimed[1].Attempt, new JobFailure("exception", "boom"),
            TimeSpan.Zero, retry: false, CancellationToken.None);

        var stats = await StatsAsync("?window_minutes=5");

        Assert.Equal(5, stats.BucketSeconds);
        Assert.Equal(60, stats.Throughput.Count);
        Assert.True(stats.Throughput.Zip(stats.Throughput.Skip(1)).All(pair => pair.Second.Start - pair.First.Start == TimeSpan.FromSeconds(5)));
        Assert.True(stats.Throughput.Sum(b => b.Completed) >= 1);
        Assert.True(stats.Throughput.Sum(b => b.Discarded) >= 1);
        Assert.True(stats.Throughput[^1].Start <= stats.GeneratedAt);
        Assert.True(stats.Throughput[^1].Start > stats.GeneratedAt.AddSeconds(-5));
    }

    [Theory]
    [InlineData("?window_minutes=4")]
    [InlineData("?window_minutes=1441")]
    [InlineData("?window_minutes=soon")]
    public async Task Stats_reject_invalid_window(string query)
    {
        var response = await api.GetAsync("/v1/stats" + query);

        Assert.Equal(400, response.Status);
        Assert.Equal(["window_minutes"], response.ErrorFields);
    }
}
