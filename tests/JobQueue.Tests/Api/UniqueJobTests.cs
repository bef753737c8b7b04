using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

[Collection(ApiHostGroup.Name)]
public sealed class UniqueJobTests(ApiHost api)
{
    private const string DuplicateHeader = "JobQueue-Duplicate-Of";

    private static string Header(ApiResponse response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";

    [Fact]
    public async Task Duplicate_returns_200_with_existing_job()
    {
        var queue = ApiRequests.UniqueQueue();
        var body = $$$"""{"kind": "sync", "queue": "{{{queue}}}", "args": {"account": 7, "full": true}, "unique": {}}""";
        var reordered = $$$"""{"kind": "sync", "queue": "{{{queue}}}", "args": {"full": true, "account": 7}, "unique": {}}""";

        var first = await api.PostJsonAsync("/v1/jobs", body);
        var second = await api.PostJsonAsync("/v1/jobs", reordered);

        Assert.Equal(201, first.Status);
        Assert.Equal(200, second.Status);
        var created = first.Read<Job>();
        Assert.Equal(created.Id, second.Read<Job>().Id);
        Assert.Equal(created.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Header(second, DuplicateHeader));
        Assert.Equal($"/v1/jobs/{created.Id}", second.Headers.Location?.ToString());
        Assert.StartsWith("sha256:", created.UniqueKey, StringComparison.Ordinal);
        Assert.Equal("", Header(first, DuplicateHeader));
    }

    [Fact]
    public async Task Different_args_are_not_duplicates()
    {
        var queue = ApiRequests.UniqueQueue();

        var first = await api.PostJsonAsync("/v1/jobs", $$$"""{"kind": "sync", "queue": "{{{queue}}}", "args": {"a": 1}, "unique": {}}""");
        var second = await api.PostJsonAsync("/v1/jobs", $$$"""{"kind": "sync", "queue": "{{{queue}}}", "args": {"a": 2}, "unique": {}}""");

        Assert.Equal(201, first.Status);
        Assert.Equal(201, second.Status);
    }

    [Fact]
    public async Task Given_key_matches_across_args_and_kinds()
    {
        var key = "invoice:" + Guid.NewGuid().ToString("N");

        var first = await api.PostJsonAsync("/v1/jobs", $$$"""{"kind": "invoice.send", "args": {"a": 1}, "unique": {"key": "{{{key}}}"}}""");
        var second = await api.PostJsonAsync("/v1/jobs", $$$"""{"kind": "invoice.void", "args": {"b": 2}, "unique": {"key": "{{{key}}}"}}""");

        Assert.Equal(201, first.Status);
        Assert.Equal(200, second.Status);
        Assert.Equal(key, first.Read<Job>().UniqueKey);
        Assert.Equal(first.Read<Job>().Id, second.Read<Job>().Id);
    }

    [Fact]
    public async Task Include_queue_keeps_queues_apart()
    {
        var key = "k" + Guid.NewGuid().ToString("N");
        string Body(string queue) => $$$"""{"kind": "sync", "queue": "{{{queue}}}", "unique": {"key": "{{{key}}}", "include_queue": true}}""";
        var one = ApiRequests.UniqueQueue();

        var first = await api.PostJsonAsync("/v1/jobs", Body(one));
        var other = await api.PostJsonAsync("/v1/jobs", Body(ApiRequests.UniqueQueue()));
        var again = await api.PostJsonAsync("/v1/jobs", Body(one));

        Assert.Equal(201, first.Status);
        Assert.Equal(201, other.Status);
        Assert.Equal(200, again.Status);
        Assert.Equal($"{one}/{key}", first.Read<Job>().UniqueKey);
    }

    [Fact]
    public async Task Final_job_matches_only_listed_states()
    {
        var key = "k" + Guid.NewGuid().ToString("N");
        var first = await api.EnqueueAsync($$$"""{"kind": "sync", "delay_seconds": 3600, "unique": {"key": "{{{key}}}"}}""");
        Assert.Equal(200, (await api.PostJsonAsync($"/v1/jobs/{first.Id}/cancel", "")).Status);

        var covered = await api.PostJsonAsync("/v1/jobs",
            $$$"""{"kind": "sync", "unique": {"key": "{{{key}}}", "states": ["cancelled", "completed"]}}""");
        var uncovered = await api.PostJsonAsync("/v1/jobs", $$$"""{"kind": "sync", "delay_seconds": 3600, "unique": {"key": "{{{key}}}"}}""");

        Assert.Equal(200, covered.Status);
        Assert.Equal(first.Id, covered.Read<Job>().Id);
        Assert.Equal(201, uncovered.Status);
    }

    [Fact]
    public async Task Job_created_before_period_is_not_a_duplicate()
    {
        var key = "k" + Guid.NewGuid().ToString("N");
        var body = $$$"""{"kind": "sync", "delay_seconds": 3600, "unique": {"key": "{{{key}}}", "period_seconds": 60}}""";
        var first = await api.EnqueueAsync(body);
        var within = await api.PostJsonAsync("/v1/jobs", body);
        await api.Database.ExecuteAsync(
            "UPDATE jobqueue.jobs SET created_at = created_at - interval '61 seconds' WHERE id = $1", first.Id);

        var after = await api.PostJsonAsync("/v1/jobs", body);

        Assert.Equal(200, within.Status);
        Assert.Equal(201, after.Status);
        Assert.NotEqual(first.Id, after.Read<Job>().Id);
    }

    [Theory]
    [InlineData("""{"kind": "sync", "unique": {"states": []}}""", "unique.states")]
    [InlineData("""{"kind": "sync", "unique": {"period_seconds": 0}}""", "unique.period_seconds")]
    [InlineData("""{"kind": "sync", "unique": {"key": ""}}""", "unique.key")]
    public async Task Invalid_unique_is_400_naming_field(string body, string field)
    {
        var response = await api.PostJsonAsync("/v1/jobs", body);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal([field], response.ErrorFields);
    }

    [Fact]
    public async Task Unknown_unique_member_or_state_is_400()
    {
        var member = await api.PostJsonAsync("/v1/jobs", """{"kind": "sync", "unique": {"by": "args"}}""");
        var state = await api.PostJsonAsync("/v1/jobs", """{"kind": "sync", "unique": {"states": ["done"]}}""");

        Assert.Equal(400, member.Status);
        Assert.Equal(400, state.Status);
    }

    [Fact]
    public async Task Batch_members_match_existing_jobs_and_each_other()
    {
        var key = "k" + Guid.NewGuid().ToString("N");
        var existing = await api.EnqueueAsync($$$"""{"kind": "sync", "delay_seconds": 3600, "unique": {"key": "{{{key}}}-a"}}""");

        var response = await api.PostJsonAsync("/v1/jobs/batch", $$$"""
            {"jobs": [
                {"kind": "sync", "unique": {"key": "{{{key}}}-a"}},
                {"kind": "sync", "delay_seconds": 3600, "unique": {"key": "{{{key}}}-b"}},
                {"kind": "plain", "delay_seconds": 3600},
                {"kind": "sync", "unique": {"key": "{{{key}}}-b"}}
            ]}
            """);

        Assert.Equal(201, response.Status);
        var batch = response.Read<EnqueueBatchResponse>();
        Assert.Equal([0, 3], batch.Duplicates);
        Assert.Equal(existing.Id, batch.Jobs[0].Id);
        Assert.Equal(batch.Jobs[1].Id, batch.Jobs[3].Id);
        Assert.NotEqual(batch.Jobs[1].Id, batch.Jobs[2].Id);
        Assert.Equal("plain", batch.Jobs[2].Kind);
    }

    [Fact]
    public async Task Batch_of_only_duplicates_returns_200()
    {
        var key = "k" + Guid.NewGuid().ToString("N");
        var body = $$$"""{"jobs": [{"kind": "sync", "delay_seconds": 3600, "unique": {"key": "{{{key}}}"}}]}""";
        Assert.Equal(201, (await api.PostJsonAsync("/v1/jobs/batch", body)).Status);

        var again = await api.PostJsonAsync("/v1/jobs/batch", body);

        Assert.Equal(200, again.Status);
        Assert.Equal([0], again.Read<EnqueueBatchResponse>().Duplicates);
    }

    [Fact]
    public async Task Replayed_duplicate_keeps_status_and_header()
    {
        var key = "k" + Guid.NewGuid().ToString("N");
        var body = $$$"""{"kind": "sync", "delay_seconds": 3600, "unique": {"key": "{{{key}}}"}}""";
        var first = await api.EnqueueAsync(body);
        var idempotencyKey = Guid.NewGuid().ToString();

        var duplicate = await SendWithKeyAsync(body, idempotencyKey);
        var replay = await SendWithKeyAsync(body, idempotencyKey);

        Assert.Equal(200, duplicate.Status);
        Assert.Equal(200, replay.Status);
        Assert.Equal("true", Header(replay, "Idempotent-Replayed"));
        Assert.Equal(first.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), Header(replay, DuplicateHeader));
    }

    private async Task<ApiResponse> SendWithKeyAsync(string body, string idempotencyKey)
    {
        using var client = api.Host.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await client.SendAsync(request);
        return new ApiResponse((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType,
            await response.Content.ReadAsStringAsync(), response.Headers);
    }
}
