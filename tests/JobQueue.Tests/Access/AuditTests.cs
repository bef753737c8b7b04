using System.Text.Json;

namespace JobQueue.Tests.Access;

[Collection(KeyedApiHostGroup.Name)]
public sealed class AuditTests(KeyedApiHost api)
{
    private async Task<List<JsonElement>> EntriesAsync(string query)
    {
        var response = await api.SendAsync(HttpMethod.Get, "/v1/audit" + query, api.AdminKey);
        Assert.Equal(200, response.Status);
        return response.Json.GetProperty("entries").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    [Fact]
    public async Task Operator_action_records_who_what_when()
    {
        var (id, key) = await api.CreateKeyAsync("""{"name": "operator-1", "scopes": ["admin"]}""");
        var job = await api.SendAsync(HttpMethod.Post, "/v1/jobs", key, """{"kind": "noop", "queue": "audited"}""");
        var jobId = job.Json.GetProperty("id").GetInt64();
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);

        var cancel = await api.SendAsync(HttpMethod.Post, $"/v1/jobs/{jobId}/cancel", key);
        var entries = await EntriesAsync($"?key_id={id}");

        Assert.Equal(200, cancel.Status);
        var entry = Assert.Single(entries);
        Assert.Equal(id, entry.GetProperty("key_id").GetString());
        Assert.Equal("operator-1", entry.GetProperty("key_name").GetString());
        Assert.Equal("POST /v1/jobs/{id}/cancel", entry.GetProperty("action").GetString());
        Assert.Equal($"id={jobId}", entry.GetProperty("target").GetString());
        Assert.Equal(200, entry.GetProperty("status").GetInt32());
        Assert.InRange(entry.GetProperty("occurred_at").GetDateTimeOffset(), before, DateTimeOffset.UtcNow.AddSeconds(5));
    }

    [Fact]
    public async Task Key_management_is_recorded()
    {
        var (id, _) = await api.CreateKeyAsync("""{"name": "audited-key", "scopes": ["read"]}""");
        await api.SendAsync(HttpMethod.Post, $"/v1/keys/{id}/revoke", api.AdminKey);

        var entries = await EntriesAsync($"?key_id={api.AdminKeyId}&page_size=500");

        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "POST /v1/keys"
            && e.GetProperty("target").GetString() == $"key={id}" && e.GetProperty("status").GetInt32() == 201);
        Assert.Contains(entries, e => e.GetProperty("action").GetString() == "POST /v1/keys/{id}/revoke"
            && e.GetProperty("target").GetString() == $"id={id}" && e.GetProperty("status").GetInt32() == 200);
    }

    [Fact]
    public async Task Failed_authentication_and_refusals_are_recorded()
    {
        var (id, key) = await api.CreateKeyAsync("""{"name": "refused", "scopes": ["read"]}""");
        var bogus = $"jq_{id}_" + new string('a', 52);

        await api.SendAsync(HttpMethod.Post, "/v1/queues/audit-refused/pause", key);
        await api.SendAsync(HttpMethod.Get, "/v1/queues", bogus);
        var entries = await EntriesAsync($"?key_id={id}");

        Assert.Equal(2, entries.Count);
        Assert.Equal(401, entries[0].GetProperty("status").GetInt32());
        Assert.Equal("GET /v1/queues", entries[0].GetProperty("action").GetString());
        Assert.Contains("not valid", entries[0].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(403, entries[1].GetProperty("status").GetInt32());
        Assert.Equal("refused", entries[1].GetProperty("key_name").GetString());
    }

    [Fact]
    public async Task Reads_and_enqueues_are_not_recorded()
    {
        var (id, key) = await api.CreateKeyAsync("""{"name": "quiet", "scopes": ["read", "enqueue"]}""");

        await api.SendAsync(HttpMethod.Post, "/v1/jobs", key, """{"kind": "noop"}""");
        await api.SendAsync(HttpMethod.Get, "/v1/queues", key);

        Assert.Empty(await EntriesAsync($"?key_id={id}"));
    }

    [Fact]
    public async Task Audit_log_pages_newest_first()
    {
        var (id, key) = await api.CreateKeyAsync("""{"name": "pager", "scopes": ["admin"]}""");
        for (var i = 0; i < 3; i++)
        {
            await api.SendAsync(HttpMethod.Post, $"/v1/queues/pager-{i}/pause", key);
        }

        var first = await api.SendAsync(HttpMethod.Get, $"/v1/audit?key_id={id}&page_size=2", api.AdminKey);
        var token = first.Json.GetProperty("next_page_token").GetString();
        var second = await api.SendAsync(HttpMethod.Get, $"/v1/audit?key_id={id}&page_size=2&page_token={token}", api.AdminKey);

        var targets = first.Json.GetProperty("entries").EnumerateArray()
            .Concat(second.Json.GetProperty("entries").EnumerateArray())
            .Select(e => e.GetProperty("target").GetString())
            .ToList();
        Assert.Equal(["name=pager-2", "name=pager-1", "name=pager-0"], targets);
        Assert.Equal(JsonValueKind.Null, second.Json.GetProperty("next_page_token").ValueKind);
    }

    [Fact]
    public async Task Old_entries_are_deleted_after_retention()
    {
        await api.Database.ExecuteAsync("""
            INSERT INTO jobqueue.audit_log (occurred_at, action, status) VALUES (now() - interval '100 days', 'old action', 200)
            """);
        var store = new JobQueue.Storage.AuditStore(api.Database.DataSource);

        var deleted = await store.DeleteOlderThanAsync(TimeSpan.FromDays(90), 1000, CancellationToken.None);
        var left = await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.audit_log WHERE action = 'old action'");

        Assert.True(deleted >= 1);
        Assert.Equal(0, left);
    }
}
