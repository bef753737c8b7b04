using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

[Collection(ApiHostGroup.Name)]
public sealed class BatchEndpointTests(ApiHost api)
{
    [Fact]
    public async Task Create_returns_201_with_batch_and_jobs()
    {
        var queue = ApiRequests.UniqueQueue();

        var response = await api.PostJsonAsync("/v1/batches", $$$"""
            {"description": "import 7",
             "jobs": [{"kind": "noop", "queue": "{{{queue}}}"}, {"kind": "noop", "queue": "{{{queue}}}", "delay_seconds": 60}],
             "callback": {"kind": "import.done", "queue": "{{{queue}}}", "args": {"import": 7} } }
            """);

        Assert.True(response.Status == 201, response.Body);
        var created = response.Read<CreateBatchResponse>();
        Assert.Equal($"/v1/batches/{created.Batch.Id}", response.Headers.Location?.ToString());
        Assert.Equal(2, created.Batch.Total);
        Assert.Equal(2, created.Batch.Pending);
        Assert.Equal("import.done", created.Batch.CallbackKind);
        Assert.Equal("import 7", created.Batch.Description);
        Assert.All(created.Jobs, job => Assert.Equal(created.Batch.Id, job.BatchId));
        var read = await api.GetAsync($"/v1/batches/{created.Batch.Id}");
        Assert.Equal(200, read.Status);
        Assert.Equal(BatchState.Active, read.Read<Batch>().State);
        var job = await api.GetAsync($"/v1/jobs/{created.Jobs[0].Id}");
        Assert.Equal(created.Batch.Id, job.Read<Job>().BatchId);
    }

    [Fact]
    public async Task Cancelling_every_member_finishes_batch_and_enqueues_callback()
    {
        var queue = ApiRequests.UniqueQueue();
        var created = (await api.PostJsonAsync("/v1/batches", $$$"""
            {"jobs": [{"kind": "noop", "queue": "{{{queue}}}", "delay_seconds": 60}],
             "callback": {"kind": "import.done", "queue": "{{{queue}}}", "delay_seconds": 3600}}
            """)).Read<CreateBatchResponse>();

        Assert.Equal(200, (await api.PostJsonAsync($"/v1/jobs/{created.Jobs[0].Id}/cancel", "")).Status);
        var batch = (await api.GetAsync($"/v1/batches/{created.Batch.Id}")).Read<Batch>();

        Assert.Equal(BatchState.Finished, batch.State);
        Assert.Equal(1, batch.Cancelled);
        Assert.NotNull(batch.FinishedAt);
        var callback = (await api.GetAsync($"/v1/jobs/{batch.CallbackJobId}")).Read<Job>();
        Assert.Equal("import.done", callback.Kind);
        Assert.Equal(JobState.Scheduled, callback.State);
        Assert.Equal(1, callback.Args.GetProperty("batch").GetProperty("cancelled").GetInt32());
    }

    [Fact]
    public async Task Callback_url_sets_callback_kind()
    {
        var created = (await api.PostJsonAsync("/v1/batches",
            """{"jobs": [{"kind": "noop", "delay_seconds": 60}], "callback_url": "https://hooks.example.com/done"}""")).Read<CreateBatchResponse>();

        Assert.Equal(CreateBatchRequest.CallbackUrlKind, created.Batch.CallbackKind);
        Assert.Equal("https://hooks.example.com/done", created.Batch.CallbackUrl);
    }

    [Theory]
    [InlineData("""{"jobs": []}""", "jobs")]
    [InlineData("""{"jobs": [{"kind": ""}]}""", "jobs[0].kind")]
    [InlineData("""{"jobs": [{"kind": "a", "unique": {}}]}""", "jobs[0]")]
    [InlineData("""{"jobs": [{"kind": "a"}], "callback_url": "ftp://example.com/x"}""", "callback_url")]
    [InlineData("""{"jobs": [{"kind": "a"}], "callback_url": "/relative"}""", "callback_url")]
    [InlineData("""{"jobs": [{"kind": "a"}], "callback_url": "https://169.254.169.254/x"}""", "callback_url")]
    [InlineData("""{"jobs": [{"kind": "a"}], "callback_url": "https://10.0.0.1/x"}""", "callback_url")]
    [InlineData("""{"jobs": [{"kind": "a"}], "callback_url": "https://[::ffff:10.0.0.1]/x"}""", "callback_url")]
    [InlineData("""{"jobs": [{"kind": "a"}], "callback": {"kind": "b"}, "callback_url": "https://example.com"}""", "callback_url")]
    [InlineData("""{"jobs": [{"kind": "a"}], "callback": {"kind": "b", "args": [1]}}""", "callback.args")]
    [InlineData("""{"jobs": [{"kind": "a"}], "callback": {"kind": "b", "args": {"batch": 1}}}""", "callback.args")]
    [InlineData("""{"jobs": [{"kind": "a"}], "callback": {"kind": "b", "run_at": "2030-01-01T00:00:00Z"}}""", "callback.run_at")]
    [InlineData("""{"jobs": [{"kind": "a"}], "callback": {"kind": "b", "unique": {}}}""", "callback.unique")]
    [InlineData("""{"jobs": [{"kind": "a"}], "callback": {"kind": ""}}""", "callback.kind")]
    public async Task Invalid_batch_is_400_naming_field(string body, string field)
    {
        var response = await api.PostJsonAsync("/v1/batches", body);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Contains(field, response.ErrorFields);
    }

    [Fact]
    public async Task Callback_kind_is_reserved_on_enqueue()
    {
        var response = await api.PostJsonAsync("/v1/jobs",
            """{"kind": "jobqueue.batch_callback", "args": {"url": "https://example.com/forged"}}""");

        Assert.Equal(400, response.Status);
        Assert.Equal(["kind"], response.ErrorFields);
    }

    [Fact]
    public async Task Same_idempotency_key_replays_batch()
    {
        var body = """{"jobs": [{"kind": "noop", "delay_seconds": 60}], "callback": {"kind": "done"}}""";
        var key = Guid.NewGuid().ToString();

        var first = await SendWithKeyAsync(body, key);
        var replay = await SendWithKeyAsync(body, key);

        Assert.Equal(201, first.Status);
        Assert.Equal(201, replay.Status);
        Assert.True(replay.Headers.Contains("Idempotent-Replayed"));
        var created = first.Read<CreateBatchResponse>();
        Assert.Equal(created.Batch.Id, replay.Read<CreateBatchResponse>().Batch.Id);
        Assert.Equal(1L, await api.Database.ScalarAsync<long>(
            "SELECT count(*) FROM jobqueue.jobs WHERE batch_id = $1", created.Batch.Id));
    }

    [Fact]
    public async Task Missing_batch_is_404()
    {
        var response = await api.GetAsync($"/v1/batches/{long.MaxValue}");

        Assert.Equal(404, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
    }

    private async Task<ApiResponse> SendWithKeyAsync(string body, string idempotencyKey)
    {
        using var client = api.Host.Server.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/batches")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await client.SendAsync(request);
        return new ApiResponse((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType,
            await response.Content.ReadAsStringAsync(), response.Headers);
    }
}
