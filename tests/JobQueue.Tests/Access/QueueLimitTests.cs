using JobQueue.Contracts;
using JobQueue.Tests.Api;

namespace JobQueue.Tests.Access;

[Collection(KeyedApiHostGroup.Name)]
public sealed class QueueLimitTests(KeyedApiHost api)
{
    [Fact]
    public async Task Queue_limited_key_uses_own_queues()
    {
        var mine = ApiRequests.UniqueQueue();
        var other = ApiRequests.UniqueQueue();
        var (_, key) = await api.CreateKeyAsync($$"""{"name": "team", "scopes": ["read", "enqueue"], "queues": ["{{mine}}"]}""");
        var foreign = await api.SendAsync(HttpMethod.Post, "/v1/jobs", api.AdminKey, $$"""{"kind": "noop", "queue": "{{other}}"}""");
        var foreignId = foreign.Json.GetProperty("id").GetInt64();

        var allowed = await api.SendAsync(HttpMethod.Post, "/v1/jobs", key, $$"""{"kind": "noop", "queue": "{{mine}}"}""");
        var denied = await api.SendAsync(HttpMethod.Post, "/v1/jobs", key, $$"""{"kind": "noop", "queue": "{{other}}"}""");
        var defaultQueue = await api.SendAsync(HttpMethod.Post, "/v1/jobs", key, """{"kind": "noop"}""");
        var readForeign = await api.SendAsync(HttpMethod.Get, $"/v1/jobs/{foreignId}", key);
        var readOwn = await api.SendAsync(HttpMethod.Get, $"/v1/jobs/{allowed.Json.GetProperty("id").GetInt64()}", key);

        Assert.Equal(201, allowed.Status);
        Assert.Equal(403, denied.Status);
        Assert.Equal(ProblemTypes.Forbidden, denied.Json.GetProperty("type").GetString());
        Assert.Contains(other, denied.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(403, defaultQueue.Status);
        Assert.Equal(404, readForeign.Status);
        Assert.Equal(200, readOwn.Status);
    }

    [Fact]
    public async Task Batch_with_one_foreign_queue_stores_nothing()
    {
        var mine = ApiRequests.UniqueQueue();
        var (_, key) = await api.CreateKeyAsync($$"""{"name": "batcher", "scopes": ["enqueue"], "queues": ["{{mine}}"]}""");

        var response = await api.SendAsync(HttpMethod.Post, "/v1/jobs/batch", key,
            $$"""{"jobs": [{"kind": "noop", "queue": "{{mine}}"}, {"kind": "noop", "queue": "elsewhere"}]}""");
        var stored = await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs WHERE queue = $1", mine);

        Assert.Equal(403, response.Status);
        Assert.Equal(0, stored);
    }

    [Fact]
    public async Task Lists_are_filtered_to_the_keys_queues()
    {
        var mine = ApiRequests.UniqueQueue();
        var other = ApiRequests.UniqueQueue();
        var (_, key) = await api.CreateKeyAsync($$"""{"name": "lister", "scopes": ["read", "enqueue"], "queues": ["{{mine}}"]}""");
        await api.SendAsync(HttpMethod.Post, "/v1/jobs", key, $$"""{"kind": "noop", "queue": "{{mine}}"}""");
        await api.SendAsync(HttpMethod.Post, "/v1/jobs", api.AdminKey, $$"""{"kind": "noop", "queue": "{{other}}"}""");

        var jobs = await api.SendAsync(HttpMethod.Get, "/v1/jobs?page_size=500", key);
        var filteredToOther = await api.SendAsync(HttpMethod.Get, $"/v1/jobs?queue={other}", key);
        var queues = await api.SendAsync(HttpMethod.Get, "/v1/queues", key);

        Assert.Equal(200, jobs.Status);
        var jobQueues = jobs.Json.GetProperty("jobs").EnumerateArray().Select(job => job.GetProperty("queue").GetString()).Distinct().ToList();
        Assert.Equal([mine], jobQueues);
        Assert.Equal(403, filteredToOther.Status);
        var queueNames = queues.Json.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString()).ToList();
        Assert.Equal([mine], queueNames);
    }

    [Fact]
    public async Task Unchecked_route_rejects_queue_limited_key()
    {
        var (_, key) = await api.CreateKeyAsync("""{"name": "narrow", "scopes": ["read"], "queues": ["narrow"]}""");

        var response = await api.SendAsync(HttpMethod.Get, "/v1/processes", key);

        Assert.Equal(403, response.Status);
        Assert.Contains("queue-limited", response.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
