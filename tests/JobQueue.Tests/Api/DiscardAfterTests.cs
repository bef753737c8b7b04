using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

[Collection(ApiHostGroup.Name)]
public sealed class DiscardAfterTests(ApiHost api)
{
    [Fact]
    public async Task Enqueue_stores_discard_after()
    {
        var job = await api.EnqueueAsync("""{"kind": "noop", "delay_seconds": 3600, "discard_after": "2099-01-02T03:04:05+02:00"}""");

        Assert.Equal(new DateTimeOffset(2099, 1, 2, 1, 4, 5, TimeSpan.Zero), job.DiscardAfter);
        var stored = (await api.GetAsync($"/v1/jobs/{job.Id}")).Read<Job>();
        Assert.Equal(job.DiscardAfter, stored.DiscardAfter);
    }

    [Fact]
    public async Task Job_without_deadline_has_null_discard_after()
    {
        var job = await api.EnqueueAsync("""{"kind": "noop", "delay_seconds": 3600}""");

        Assert.Null(job.DiscardAfter);
    }

    [Theory]
    [InlineData("""{"kind": "noop", "run_at": "2099-01-02T00:00:00Z", "discard_after": "2099-01-01T00:00:00Z"}""")]
    [InlineData("""{"kind": "noop", "run_at": "2099-01-02T00:00:00Z", "discard_after": "2099-01-02T00:00:00Z"}""")]
    [InlineData("""{"kind": "noop", "discard_after": "2099-01-02T00:00:00"}""")]
    [InlineData("""{"kind": "noop", "discard_after": "tomorrow"}""")]
    [InlineData("""{"kind": "noop", "discard_after": 12}""")]
    public async Task Invalid_discard_after_is_400_naming_it(string body)
    {
        var response = await api.PostJsonAsync("/v1/jobs", body);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(["discard_after"], response.ErrorFields);
    }
}
