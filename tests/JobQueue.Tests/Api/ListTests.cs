using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

[Collection(ApiHostGroup.Name)]
public sealed class ListTests(ApiHost api)
{
    private async Task<JobPage> ListAsync(string query)
    {
        var response = await api.GetAsync("/v1/jobs?" + query);
        Assert.True(response.Status == 200, $"GET /v1/jobs?{query} returned {response.Status}: {response.Body}");
        return response.Read<JobPage>();
    }

    [Fact]
    public async Task Get_returns_job()
    {
        var job = await api.EnqueueAsync("""{"kind": "lookup", "args": {"k": "v"}}""");

        var response = await api.GetAsync($"/v1/jobs/{job.Id}");

        Assert.Equal(200, response.Status);
        var stored = response.Read<Job>();
        Assert.Equal(job.Id, stored.Id);
        Assert.Equal("v", stored.Args.GetProperty("k").GetString());
    }

    [Fact]
    public async Task List_filters_by_queue_state_kind_and_tag()
    {
        var queue = ApiRequests.UniqueQueue();
        var plain = await api.EnqueueAsync($$"""{"kind": "a", "queue": "{{queue}}"}""");
        var tagged = await api.EnqueueAsync($$"""{"kind": "b", "queue": "{{queue}}", "tags": ["red"]}""");
        var later = await api.EnqueueAsync($$"""{"kind": "a", "queue": "{{queue}}", "delay_seconds": 600}""");
        await api.EnqueueAsync("""{"kind": "a", "tags": ["red"]}""");

        Assert.Equal([later.Id, tagged.Id, plain.Id], (await ListAsync($"queue={queue}")).Jobs.Select(j => j.Id));
        Assert.Equal([later.Id], (await ListAsync($"queue={queue}&state=scheduled")).Jobs.Select(j => j.Id));
        Assert.Equal([later.Id, plain.Id], (await ListAsync($"queue={queue}&kind=a")).Jobs.Select(j => j.Id));
        Assert.Equal([tagged.Id], (await ListAsync($"queue={queue}&tag=red")).Jobs.Select(j => j.Id));
        Assert.Empty((await ListAsync($"queue={queue}&kind=a&tag=red")).Jobs);
    }

    [Fact]
    public async Task List_pages_with_tokens_until_last_page()
    {
        var queue = ApiRequests.UniqueQueue();
        var ids = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add((await api.EnqueueAsync($$"""{"kind": "page", "queue": "{{queue}}"}""")).Id);
        }

        var first = await ListAsync($"queue={queue}&page_size=3");
        var second = await ListAsync($"queue={queue}&page_size=3&page_token={first.NextPageToken}");
        var third = await ListAsync($"queue={queue}&page_size=3&page_token={second.NextPageToken}");

        ids.Reverse();
        Assert.Equal(ids[..3], first.Jobs.Select(j => j.Id));
        Assert.Equal(ids[3..6], second.Jobs.Select(j => j.Id));
        Assert.Equal(ids[6..], third.Jobs.Select(j => j.Id));
        Assert.NotNull(first.NextPageToken);
        Assert.NotNull(second.NextPageToken);
        Assert.Null(third.NextPageToken);
    }

    [Fact]
    public async Task List_without_page_size_uses_default()
    {
        var queue = ApiRequests.UniqueQueue();
        var jobs = string.Join(",", Enumerable.Repeat($$"""{"kind": "many", "queue": "{{queue}}"}""", 51));
        Assert.Equal(201, (await api.PostJsonAsync("/v1/jobs/batch", "{\"jobs\": [" + jobs + "]}")).Status);

        var page = await ListAsync($"queue={queue}");

        Assert.Equal(50, page.Jobs.Count);
        Assert.NotNull(page.NextPageToken);
    }

    [Fact]
    public async Task Queues_count_jobs_by_state()
    {
        var queue = ApiRequests.UniqueQueue();
        await api.EnqueueAsync($$"""{"kind": "a", "queue": "{{queue}}"}""");
        await api.EnqueueAsync($$"""{"kind": "a", "queue": "{{queue}}"}""");
        var cancelled = await api.EnqueueAsync($$"""{"kind": "a", "queue": "{{queue}}", "delay_seconds": 600}""");
        await api.EnqueueAsync($$"""{"kind": "a", "queue": "{{queue}}", "delay_seconds": 600}""");
        await api.SendAsync(HttpMethod.Post, $"/v1/jobs/{cancelled.Id}/cancel");

        var response = await api.GetAsync("/v1/queues");

        Assert.Equal(200, response.Status);
        var summary = Assert.Single(response.Read<QueueList>().Queues, q => q.Name == queue);
        Assert.Equal(2, summary.Counts.Available);
        Assert.Equal(1, summary.Counts.Scheduled);
        Assert.Equal(1, summary.Counts.Cancelled);
        Assert.Equal(0, summary.Counts.Running);
    }

    [Fact]
    public async Task Deepest_allowed_args_can_be_read_back()
    {
        var queue = ApiRequests.UniqueQueue();
        var args = new string('[', 32) + new string(']', 32);
        var job = await api.EnqueueAsync($$"""{"kind": "deep", "queue": "{{queue}}", "args": {{args}}}""");

        var single = await api.GetAsync($"/v1/jobs/{job.Id}");
        var page = await api.GetAsync($"/v1/jobs?queue={queue}");

        Assert.Equal(200, single.Status);
        Assert.Equal(200, page.Status);
        Assert.Equal(job.Id, Assert.Single(page.Read<JobPage>().Jobs).Id);
    }

    [Fact]
    public async Task Deepest_stored_result_can_be_read_back()
    {
        // The worker stores a webhook's JSON answer as the result when it parses with the default
        // depth limit of 64, so a result can be that deep.
        var queue = ApiRequests.UniqueQueue();
        var job = await api.EnqueueAsync($$"""{"kind": "deep", "queue": "{{queue}}"}""");
        await api.Database.ExecuteAsync(
            "UPDATE jobqueue.jobs SET result = $2::jsonb WHERE id = $1", job.Id, new string('[', 64) + new string(']', 64));

        var single = await api.GetAsync($"/v1/jobs/{job.Id}");
        var page = await api.GetAsync($"/v1/jobs?queue={queue}");

        Assert.Equal(200, single.Status);
        Assert.Equal(200, page.Status);
    }

    [Theory]
    [InlineData("/v1/jobs?queue=a&queue=b", "queue")]
    [InlineData("/v1/jobs?kind=noop&kind=echo", "kind")]
    [InlineData("/v1/jobs/count?queue=a&queue=b", "queue")]
    public async Task Repeated_query_parameter_gets_400(string url, string parameter)
    {
        var response = await api.GetAsync(url);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal([parameter], response.ErrorFields);
    }
}
