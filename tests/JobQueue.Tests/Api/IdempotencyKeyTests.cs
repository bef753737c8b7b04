using System.Text;
using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

[Collection(ApiHostGroup.Name)]
public sealed class IdempotencyKeyTests(ApiHost api)
{
    private async Task<ApiResponse> PostAsync(string url, string body, params string[] keys)
    {
        using var client = api.Host.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        foreach (var key in keys)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var headers = response.Headers;
        return new ApiResponse((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, headers);
    }

    private async Task<long> CountJobsAsync(string queue) =>
        await api.Database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs WHERE queue = $1", queue);

    private static string NewKey() => "key-" + Guid.NewGuid().ToString("N");

    private static bool IsReplayed(ApiResponse response) =>
        response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Single() == "true";

    [Fact]
    public async Task Same_key_and_body_replays_response()
    {
        var queue = ApiRequests.UniqueQueue();
        var key = NewKey();
        var body = $$$"""{"kind": "noop", "queue": "{{{queue}}}", "args": {"b": 2, "a": 1}}""";

        var first = await PostAsync("/v1/jobs", body, key);
        var second = await PostAsync("/v1/jobs", body, key);

        Assert.Equal(201, first.Status);
        Assert.False(IsReplayed(first));
        Assert.Equal(201, second.Status);
        Assert.True(IsReplayed(second));
        Assert.Equal(first.Body, second.Body);
        Assert.Equal("application/json", second.ContentType);
        var job = first.Read<Job>();
        Assert.Equal($"/v1/jobs/{job.Id}", first.Headers.Location?.ToString());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal(1, await CountJobsAsync(queue));
    }

    [Fact]
    public async Task Reordered_body_counts_as_same_body()
    {
        var queue = ApiRequests.UniqueQueue();
        var key = NewKey();

        var first = await PostAsync("/v1/jobs", $$$"""{"kind": "noop", "queue": "{{{queue}}}", "args": {"a": 1, "b": [1, 2]}}""", key);
        var second = await PostAsync("/v1/jobs", $$"""{ "args":{"b":[1,2],"a":1},"queue":"{{queue}}","kind":"noop","tags":null }""", key);

        Assert.Equal(201, first.Status);
        Assert.Equal(201, second.Status);
        Assert.True(IsReplayed(second));
        Assert.Equal(1, await CountJobsAsync(queue));
    }

    [Fact]
    public async Task Same_key_with_other_body_is_422()
    {
        var queue = ApiRequests.UniqueQueue();
        var key = NewKey();

        var first = await PostAsync("/v1/jobs", $$"""{"kind": "noop", "queue": "{{queue}}"}""", key);
        var second = await PostAsync("/v1/jobs", $$"""{"kind": "other", "queue": "{{queue}}"}""", key);

        Assert.Equal(201, first.Status);
        Assert.Equal(422, second.Status);
        Assert.Equal("application/problem+json", second.ContentType);
        Assert.Equal(ProblemTypes.IdempotencyKeyReused, second.Json.GetProperty("type").GetString());
        Assert.Equal(1, await CountJobsAsync(queue));
    }

    [Fact]
    public async Task Key_in_flight_is_409_until_stale()
    {
        var queue = ApiRequests.UniqueQueue();
        var done = NewKey();
        var held = NewKey();
        var body = $$"""{"kind": "noop", "queue": "{{queue}}"}""";
        Assert.Equal(201, (await PostAsync("/v1/jobs", body, done)).Status);

        // A marker with the same fingerprint, as left by a request that is running or died.
        await api.Database.ExecuteAsync("""
            INSERT INTO jobqueue.idempotency_keys (endpoint, key, fingerprint, state, request_token, expires_at)
            SELECT endpoint, $2, fingerprint, 'in_flight', gen_random_uuid(), now() + interval '1 hour'
            FROM jobqueue.idempotency_keys WHERE key = $1
            """, done, held);

        var blocked = await PostAsync("/v1/jobs", body, held);

        Assert.Equal(409, blocked.Status);
        Assert.Equal(ProblemTypes.IdempotencyKeyInFlight, blocked.Json.GetProperty("type").GetString());
        Assert.Equal("1", blocked.Headers.RetryAfter?.ToString());
        Assert.Equal(1, await CountJobsAsync(queue));

        await api.Database.ExecuteAsync(
            "UPDATE jobqueue.idempotency_keys SET locked_at = now() - interval '2 minutes' WHERE key = $1", held);
        var takenOver = await PostAsync("/v1/jobs", body, held);
        var replayed = await PostAsync("/v1/jobs", body, held);

        Assert.Equal(201, takenOver.Status);
        Assert.False(IsReplayed(takenOver));
        Assert.True(IsReplayed(replayed));
        Assert.Equal(2, await CountJobsAsync(queue));
    }

    [Fact]
    public async Task Expired_key_is_new_again()
    {
        var queue = ApiRequests.UniqueQueue();
        var key = NewKey();
        Assert.Equal(201, (await PostAsync("/v1/jobs", $$"""{"kind": "noop", "queue": "{{queue}}"}""", key)).Status);
        await api.Database.ExecuteAsync(
            "UPDATE jobqueue.idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1", key);

        var again = await PostAsync("/v1/jobs", $$"""{"kind": "other", "queue": "{{queue}}"}""", key);

        Assert.Equal(201, again.Status);
        Assert.False(IsReplayed(again));
        Assert.Equal(2, await CountJobsAsync(queue));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("tab\tinside")]
    [InlineData("caf\u00e9")]
    public async Task Invalid_key_is_400_naming_header(string key)
    {
        var queue = ApiRequests.UniqueQueue();

        var response = await PostAsync("/v1/jobs", $$"""{"kind": "noop", "queue": "{{queue}}"}""", key);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(["Idempotency-Key"], response.ErrorFields);
        Assert.Equal(0, await CountJobsAsync(queue));
    }

    [Fact]
    public async Task Overlong_or_repeated_key_is_400()
    {
        var body = """{"kind": "noop"}""";

        var overlong = await PostAsync("/v1/jobs", body, new string('k', 256));
        var repeated = await PostAsync("/v1/jobs", body, "one", "two");
        var longest = await PostAsync("/v1/jobs", body, new string('k', 223) + Guid.NewGuid().ToString("N"));

        Assert.Equal(400, overlong.Status);
        Assert.Equal(["Idempotency-Key"], overlong.ErrorFields);
        Assert.Equal(400, repeated.Status);
        Assert.Equal(["Idempotency-Key"], repeated.ErrorFields);
        Assert.Equal(201, longest.Status);
    }

    [Fact]
    public async Task Parallel_requests_create_one_job()
    {
        var queue = ApiRequests.UniqueQueue();
        var key = NewKey();
        var body = $$"""{"kind": "noop", "queue": "{{queue}}"}""";

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => PostAsync("/v1/jobs", body, key))));

        Assert.All(responses, r => Assert.True(r.Status is 201 or 409, $"status {r.Status}: {r.Body}"));
        var created = responses.Where(r => r.Status == 201).ToList();
        Assert.NotEmpty(created);
        Assert.Single(created.Select(r => r.Read<Job>().Id).Distinct());
        Assert.Single(created, r => !IsReplayed(r));
        Assert.Equal(1, await CountJobsAsync(queue));
    }

    [Fact]
    public async Task Batch_replays_and_keys_are_scoped_by_endpoint()
    {
        var queue = ApiRequests.UniqueQueue();
        var key = NewKey();
        var batch = $$"""{"jobs": [{"kind": "a", "queue": "{{queue}}"}, {"kind": "b", "queue": "{{queue}}"}]}""";

        var first = await PostAsync("/v1/jobs/batch", batch, key);
        var second = await PostAsync("/v1/jobs/batch", batch, key);
        var single = await PostAsync("/v1/jobs", $$"""{"kind": "c", "queue": "{{queue}}"}""", key);

        Assert.Equal(201, first.Status);
        Assert.Equal(201, second.Status);
        Assert.True(IsReplayed(second));
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(201, single.Status);
        Assert.False(IsReplayed(single));
        Assert.Equal(3, await CountJobsAsync(queue));
    }

    [Fact]
    public async Task Invalid_body_stores_no_key()
    {
        var key = NewKey();

        var invalid = await PostAsync("/v1/jobs", """{"kind": ""}""", key);
        var valid = await PostAsync("/v1/jobs", """{"kind": "noop"}""", key);

        Assert.Equal(400, invalid.Status);
        Assert.Equal(201, valid.Status);
        Assert.False(IsReplayed(valid));
    }
}
