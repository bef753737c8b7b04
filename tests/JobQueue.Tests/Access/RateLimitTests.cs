using JobQueue.Contracts;

namespace JobQueue.Tests.Access;

[Collection(KeyedApiHostGroup.Name)]
public sealed class RateLimitTests(KeyedApiHost api)
{
    [Fact]
    public async Task Key_over_rate_gets_429()
    {
        // A limit of 1 per second gives a bucket of 2, so the third request at once is over it.
        var (_, key) = await api.CreateKeyAsync("""{"name": "slow", "scopes": ["read"], "rate_limit_per_second": 1}""");

        var statuses = new List<int>();
        Api.ApiResponse? limited = null;
        for (var i = 0; i < 5 && limited is null; i++)
        {
            var response = await api.SendAsync(HttpMethod.Get, "/v1/queues", key);
            statuses.Add(response.Status);
            limited = response.Status == 429 ? response : null;
        }

        Assert.NotNull(limited);
        Assert.Equal([200, 200], statuses.Take(2));
        Assert.Equal("application/problem+json", limited.ContentType);
        Assert.Equal(ProblemTypes.RateLimited, limited.Json.GetProperty("type").GetString());
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 2);
    }

    [Fact]
    public async Task Busy_key_leaves_others_unlimited()
    {
        var (_, busy) = await api.CreateKeyAsync("""{"name": "busy", "scopes": ["read"], "rate_limit_per_second": 1}""");
        for (var i = 0; i < 3; i++)
        {
            await api.SendAsync(HttpMethod.Get, "/v1/queues", busy);
        }

        var other = await api.SendAsync(HttpMethod.Get, "/v1/queues", api.AdminKey);

        Assert.Equal(200, other.Status);
    }
}
