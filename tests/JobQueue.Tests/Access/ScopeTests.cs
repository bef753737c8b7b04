using JobQueue.Contracts;
using JobQueue.Tests.Api;

namespace JobQueue.Tests.Access;

[Collection(KeyedApiHostGroup.Name)]
public sealed class ScopeTests(KeyedApiHost api)
{
    private static void AssertForbidden(ApiResponse response, string scope)
    {
        Assert.Equal(403, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(ProblemTypes.Forbidden, response.Json.GetProperty("type").GetString());
        var challenge = string.Join(" ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        Assert.Contains("error=\"insufficient_scope\"", challenge, StringComparison.Ordinal);
        Assert.Contains($"scope=\"{scope}\"", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_key_cannot_enqueue()
    {
        var (_, key) = await api.CreateKeyAsync("""{"name": "reader", "scopes": ["read"]}""");

        AssertForbidden(await api.SendAsync(HttpMethod.Post, "/v1/jobs", key, """{"kind": "noop"}"""), "enqueue");
        AssertForbidden(await api.SendAsync(HttpMethod.Post, "/v1/jobs/batch", key, """{"jobs": [{"kind": "noop"}]}"""), "enqueue");
        Assert.Equal(200, (await api.SendAsync(HttpMethod.Get, "/v1/jobs", key)).Status);
    }

    [Fact]
    public async Task Enqueue_key_cannot_read_or_administer()
    {
        var (_, key) = await api.CreateKeyAsync("""{"name": "producer", "scopes": ["enqueue"]}""");

        var enqueued = await api.SendAsync(HttpMethod.Post, "/v1/jobs", key, """{"kind": "noop", "queue": "scope-test"}""");

        Assert.Equal(201, enqueued.Status);
        AssertForbidden(await api.SendAsync(HttpMethod.Get, "/v1/jobs", key), "read");
        AssertForbidden(await api.SendAsync(HttpMethod.Post, "/v1/queues/scope-test/pause", key), "admin");
        AssertForbidden(await api.SendAsync(HttpMethod.Post, $"/v1/jobs/{enqueued.Json.GetProperty("id").GetInt64()}/cancel", key), "admin");
    }

    [Fact]
    public async Task Read_key_cannot_manage_keys_or_read_audit()
    {
        var (_, key) = await api.CreateKeyAsync("""{"name": "reader-2", "scopes": ["read"]}""");

        AssertForbidden(await api.SendAsync(HttpMethod.Get, "/v1/keys", key), "admin");
        AssertForbidden(await api.SendAsync(HttpMethod.Get, "/v1/audit", key), "admin");
        AssertForbidden(await api.SendAsync(HttpMethod.Post, "/v1/keys", key, """{"name": "x", "scopes": ["admin"]}"""), "admin");
    }

    [Fact]
    public async Task Admin_key_has_every_scope()
    {
        var enqueued = await api.SendAsync(HttpMethod.Post, "/v1/jobs", api.AdminKey, """{"kind": "noop", "queue": "admin-test"}""");
        var id = enqueued.Json.GetProperty("id").GetInt64();

        Assert.Equal(201, enqueued.Status);
        Assert.Equal(200, (await api.SendAsync(HttpMethod.Get, $"/v1/jobs/{id}", api.AdminKey)).Status);
        Assert.Equal(200, (await api.SendAsync(HttpMethod.Post, $"/v1/jobs/{id}/cancel", api.AdminKey)).Status);
        Assert.Equal(200, (await api.SendAsync(HttpMethod.Post, "/v1/queues/admin-test/pause", api.AdminKey)).Status);
    }

    [Fact]
    public async Task Unknown_route_with_valid_key_gets_404()
    {
        var response = await api.SendAsync(HttpMethod.Post, "/v1/nothing-here", api.AdminKey);

        Assert.Equal(404, response.Status);
    }
}
