using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

[Collection(ApiHostGroup.Name)]
public sealed class LongPollTests(ApiHost api)
{
    [Fact]
    public async Task Wait_returns_once_job_finishes()
    {
        var queue = ApiRequests.UniqueQueue();
        var job = await api.EnqueueAsync($$$"""{"kind": "sleep", "queue": "{{{queue}}}", "args": {"ms": 200}}""");

        var waiting = api.GetAsync($"/v1/jobs/{job.Id}?wait=30s");
        using var worker = await WorkerHost.StartAsync(
            api.Database, new Dictionary<string, string?> { ["Worker:Queues"] = $"{queue}:1" });
        var response = await waiting;
        await worker.StopAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal(JobState.Completed, response.Read<Job>().State);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("1s")]
    [InlineData("300ms")]
    [InlineData("0")]
    public async Task Wait_that_runs_out_returns_current_job(string wait)
    {
        var queue = ApiRequests.UniqueQueue();
        var job = await api.EnqueueAsync($$"""{"kind": "noop", "queue": "{{queue}}"}""");

        var response = await api.GetAsync($"/v1/jobs/{job.Id}?wait={wait}");

        Assert.Equal(200, response.Status);
        Assert.Equal(JobState.Available, response.Read<Job>().State);
    }

    [Fact]
    public async Task Wait_on_final_job_returns_it()
    {
        var job = await api.EnqueueAsync("""{"kind": "noop", "delay_seconds": 3600}""");
        Assert.Equal(200, (await api.PostJsonAsync($"/v1/jobs/{job.Id}/cancel", "")).Status);

        var response = await api.GetAsync($"/v1/jobs/{job.Id}?wait=60s");

        Assert.Equal(200, response.Status);
        Assert.Equal(JobState.Cancelled, response.Read<Job>().State);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("61")]
    [InlineData("61s")]
    [InlineData("60001ms")]
    [InlineData("-1")]
    [InlineData("1m")]
    [InlineData("1.5s")]
    [InlineData("99999999999999999999")]
    [InlineData("5s\n")]
    public async Task Invalid_wait_is_400_naming_wait(string wait)
    {
        var job = await api.EnqueueAsync("""{"kind": "noop", "delay_seconds": 3600}""");

        var response = await api.GetAsync($"/v1/jobs/{job.Id}?wait={Uri.EscapeDataString(wait)}");

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(["wait"], response.ErrorFields);
    }

    [Fact]
    public async Task Wait_on_missing_job_is_404()
    {
        var response = await api.GetAsync($"/v1/jobs/{long.MaxValue}?wait=5s");

        Assert.Equal(404, response.Status);
    }
}
