using JobQueue.Contracts;
using JobQueue.Tests.Api;

namespace JobQueue.Tests.Access;

[Collection(KeyedApiHostGroup.Name)]
public sealed class AuthenticationTests(KeyedApiHost api)
{
    private static void AssertProblem(ApiResponse response, int status, string type)
    {
        Assert.Equal(status, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(type, response.Json.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(response.Json.GetProperty("detail").GetString()));
    }

    private static string Challenge(ApiResponse response) => string.Join(" ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));

    [Fact]
    public async Task Request_without_key_gets_401()
    {
        var response = await api.SendAsync(HttpMethod.Get, "/v1/jobs", key: null);

        AssertProblem(response, 401, ProblemTypes.Unauthorized);
        Assert.StartsWith("Bearer", Challenge(response), StringComparison.Ordinal);
        Assert.DoesNotContain("invalid_token", Challenge(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_to_unknown_route_without_key_gets_401()
    {
        var response = await api.SendAsync(HttpMethod.Get, "/v1/nothing-here", key: null);

        AssertProblem(response, 401, ProblemTypes.Unauthorized);
    }

    [Theory]
    [InlineData("jq_aaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("not-a-key")]
    [InlineData("jq_AAAAAAAAAAAA_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task Unknown_or_malformed_key_gets_401(string key)
    {
        var response = await api.SendAsync(HttpMethod.Get, "/v1/jobs", key);

        AssertProblem(response, 401, ProblemTypes.Unauthorized);
        Assert.Contains("error=\"invalid_token\"", Challenge(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Right_id_with_wrong_secret_gets_401()
    {
        var wrongSecret = api.AdminKey[..^4] + (api.AdminKey.EndsWith("aaaa", StringComparison.Ordinal) ? "bbbb" : "aaaa");

        var response = await api.SendAsync(HttpMethod.Get, "/v1/jobs", wrongSecret);

        AssertProblem(response, 401, ProblemTypes.Unauthorized);
        Assert.DoesNotContain("revoked", response.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_scheme_gets_401()
    {
        using var client = api.Host.Server.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Basic " + api.AdminKey);

        using var response = await client.GetAsync("/v1/jobs");

        Assert.Equal(401, (int)response.StatusCode);
    }

    [Fact]
    public async Task Revoked_key_gets_401_at_once()
    {
        var (id, key) = await api.CreateKeyAsync("""{"name": "to-revoke", "scopes": ["read"]}""");
        Assert.Equal(200, (await api.SendAsync(HttpMethod.Get, "/v1/queues", key)).Status);

        var revoke = await api.SendAsync(HttpMethod.Post, $"/v1/keys/{id}/revoke", api.AdminKey);
        var after = await api.SendAsync(HttpMethod.Get, "/v1/queues", key);

        Assert.Equal(200, revoke.Status);
        Assert.True(revoke.Json.GetProperty("revoked_at").ValueKind == System.Text.Json.JsonValueKind.String);
        AssertProblem(after, 401, ProblemTypes.Unauthorized);
        Assert.Contains("revoked", after.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_key_gets_401()
    {
        var (id, key) = await api.CreateKeyAsync("""{"name": "short-lived", "scopes": ["read"], "expires_at": "2099-01-01T00:00:00Z"}""");
        await api.Database.ExecuteAsync("UPDATE jobqueue.api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", id);

        var response = await api.SendAsync(HttpMethod.Get, "/v1/queues", key);

        AssertProblem(response, 401, ProblemTypes.Unauthorized);
        Assert.Contains("expired", response.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Public_paths_need_no_key()
    {
        Assert.Equal(200, (await api.SendAsync(HttpMethod.Get, "/healthz/live", key: null)).Status);
        Assert.Equal(200, (await api.SendAsync(HttpMethod.Get, "/openapi/v1.json", key: null)).Status);
    }

    [Fact]
    public async Task Created_key_is_listed_without_secret()
    {
        var (id, _) = await api.CreateKeyAsync("""{"name": "listed", "scopes": ["enqueue", "read"], "rate_limit_per_second": 7}""");

        var list = await api.SendAsync(HttpMethod.Get, "/v1/keys", api.AdminKey);
        var one = await api.SendAsync(HttpMethod.Get, $"/v1/keys/{id}", api.AdminKey);

        Assert.Equal(200, list.Status);
        Assert.Contains(id, list.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", list.Body, StringComparison.Ordinal);
        Assert.Equal(200, one.Status);
        Assert.Equal("listed", one.Json.GetProperty("name").GetString());
        Assert.Equal(["read", "enqueue"], one.Json.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()!).ToList());
        Assert.Equal(7, one.Json.GetProperty("rate_limit_per_second").GetInt32());
        Assert.Equal(api.AdminKeyId, one.Json.GetProperty("created_by").GetString());
        Assert.Equal("jq_" + id, one.Json.GetProperty("prefix").GetString());
    }

    [Theory]
    [InlineData("""{"name": "", "scopes": ["read"]}""", "name")]
    [InlineData("""{"name": "x", "scopes": []}""", "scopes")]
    [InlineData("""{"name": "x", "scopes": ["root"]}""", "scopes")]
    [InlineData("""{"name": "x", "scopes": null}""", "scopes")]
    [InlineData("""{"name": "x", "scopes": ["read", null]}""", "scopes")]
    [InlineData("""{"name": null, "scopes": ["read"]}""", "name")]
    [InlineData("""{"name": "x", "scopes": ["read"], "queues": [null]}""", "queues")]
    [InlineData("""{"name": "x", "scopes": ["read"], "queues": []}""", "queues")]
    [InlineData("""{"name": "x", "scopes": ["admin"], "queues": ["mail"]}""", "queues")]
    [InlineData("""{"name": "x", "scopes": ["read"], "queues": ["bad queue"]}""", "queues")]
    [InlineData("""{"name": "x", "scopes": ["read"], "expires_at": "2001-01-01T00:00:00Z"}""", "expires_at")]
    [InlineData("""{"name": "x", "scopes": ["read"], "rate_limit_per_second": 0}""", "rate_limit_per_second")]
    public async Task Invalid_key_request_gets_400(string body, string field)
    {
        var response = await api.SendAsync(HttpMethod.Post, "/v1/keys", api.AdminKey, body);

        Assert.Equal(400, response.Status);
        Assert.Contains(field, response.ErrorFields);
    }

    [Theory]
    [InlineData("""{"name": "x", "scopes": ["read"], "queue": ["billing"]}""")]
    [InlineData("""{"name": "x", "scopes": ["read"], "Name": "y"}""")]
    public async Task Unknown_member_in_key_request_gets_400(string body)
    {
        var response = await api.SendAsync(HttpMethod.Post, "/v1/keys", api.AdminKey, body);

        Assert.Equal(400, response.Status);
        Assert.Equal(ProblemTypes.MalformedRequest, response.Json.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Unknown_key_id_gets_404()
    {
        var response = await api.SendAsync(HttpMethod.Post, "/v1/keys/aaaaaaaaaaaa/revoke", api.AdminKey);

        Assert.Equal(404, response.Status);
    }
}
