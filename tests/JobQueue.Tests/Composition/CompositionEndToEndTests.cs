using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using JobQueue.Contracts;
using JobQueue.Engine.Webhooks;
using Npgsql;

namespace JobQueue.Tests.Composition;

/// <summary>
/// Unique jobs, batch callbacks, the SQL enqueue function, long-polling and deadlines against
/// the published API and worker processes over real HTTP and PostgreSQL.
/// </summary>
public sealed class CompositionEndToEndTests(CompositionServices services) : IClassFixture<CompositionServices>
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(60);

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Parallel_unique_enqueues_store_one_job()
    {
        const int Clients = 48;
        for (var round = 0; round < 3; round++)
        {
            var key = "report:" + Guid.NewGuid().ToString("N");
            var body = $$"""{"kind": "report.build", "delay_seconds": 3600, "unique": {"key": "{{key}}"} }""";

            // Each request has a client and a connection of its own, spread over both API processes.
            using var start = new ManualResetEventSlim();
            var requests = Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
            {
                using var client = services.CreateClient(i % 2);
                start.Wait();
                using var response = await client.PostAsync("/v1/jobs", Json(body));
                var job = await response.Content.ReadFromJsonAsync<Job>();
                return ((int)response.StatusCode, job!.Id);
            })).ToList();
            start.Set();
            var results = await Task.WhenAll(requests);

            Assert.All(results, result => Assert.True(result.Item1 is 200 or 201, $"Enqueue returned {result.Item1}."));
            Assert.Single(results, result => result.Item1 == 201);
            var id = Assert.Single(results.Select(result => result.Id).Distinct());
            Assert.Equal(1L, await services.Database.ScalarAsync<long>(
                "SELECT count(*) FROM jobqueue.jobs WHERE unique_key = $1", key));
            using var reader = services.CreateClient();
            var stored = await reader.GetFromJsonAsync<Job>($"/v1/jobs/{id}");
            Assert.Equal(key, stored!.UniqueKey);
        }
    }

    [Fact]
    public async Task Batch_callback_runs_once_when_members_finish_together()
    {
        const int Batches = 3;
        const int Members = 24;
        var created = new List<CreateBatchResponse>();
        using var client = services.CreateClient();
        for (var i = 0; i < Batches; i++)
        {
            var jobs = string.Join(", ", Enumerable.Repeat("""{"kind": "sleep", "args": {"ms": 300}}""", Members));
            using var response = await client.PostAsync("/v1/batches", Json(
                $$"""{"jobs": [{{jobs}}], "callback": {"kind": "echo", "args": {"round": {{i}} } } }"""));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            created.Add((await response.Content.ReadFromJsonAsync<CreateBatchResponse>())!);
        }

        foreach (var batch in created)
        {
            var finished = await WaitForBatchAsync(client, batch.Batch.Id);
            Assert.Equal(Members, finished.Completed);
            Assert.NotNull(finished.CallbackJobId);
            var callback = await client.GetFromJsonAsync<Job>($"/v1/jobs/{finished.CallbackJobId}?wait=30s");
            Assert.Equal(JobState.Completed, callback!.State);
            Assert.Equal(Members, callback.Result!.Value.GetProperty("batch").GetProperty("completed").GetInt32());
            Assert.Equal(1L, await services.Database.ScalarAsync<long>(
                "SELECT count(*) FROM jobqueue.jobs WHERE kind = 'echo' AND (args -> 'batch' ->> 'id')::bigint = $1",
                batch.Batch.Id));
        }

        // The last members of each batch finished within 100 ms of each other, on both workers'
        // slots, so the callback check ran in concurrent transactions.
        foreach (var batch in created)
        {
            var lastWave = await services.Database.ScalarAsync<long>(
                """
                SELECT count(*) FROM jobqueue.jobs
                WHERE batch_id = $1
                  AND finished_at > (SELECT max(finished_at) FROM jobqueue.jobs WHERE batch_id = $1) - interval '100 milliseconds'
                """,
                batch.Batch.Id);
            Assert.True(lastWave >= 2, $"Only {lastWave} members of batch {batch.Batch.Id} finished in the last 100 ms.");
        }
    }

    [Fact]
    public async Task Batch_callback_url_gets_one_signed_delivery()
    {
        using var client = services.CreateClient();
        var path = "batches/" + Guid.NewGuid().ToString("N");
        using var response = await client.PostAsync("/v1/batches", Json($$"""
            {"jobs": [
                {"kind": "noop"},
                {"kind": "fail", "args": {"message": "disk full"}, "max_attempts": 1},
                {"kind": "noop", "delay_seconds": 3600}
             ],
             "callback_url": "{{services.Receiver.Url(path)}}"}
            """));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = (await response.Content.ReadFromJsonAsync<CreateBatchResponse>())!;
        using (var cancel = await client.PostAsync($"/v1/jobs/{created.Jobs[2].Id}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        var finished = await WaitForBatchAsync(client, created.Batch.Id);
        var callback = await client.GetFromJsonAsync<Job>($"/v1/jobs/{finished.CallbackJobId}?wait=30s");
        await Task.Delay(1000);

        Assert.Equal((1, 1, 1), (finished.Completed, finished.Cancelled, finished.Discarded));
        Assert.Equal(JobState.Completed, callback!.State);
        var delivery = Assert.Single(services.Receiver.Deliveries, d => d.Path == path);
        var id = delivery.Headers["webhook-id"];
        var timestamp = long.Parse(delivery.Headers["webhook-timestamp"], CultureInfo.InvariantCulture);
        WebhookSigner.TryDecodeSecret(services.CallbackSecret, out var key);
        Assert.Equal(WebhookSigner.Sign(key, id, timestamp, Encoding.UTF8.GetBytes(delivery.Body)), delivery.Headers["webhook-signature"]);
        using var body = JsonDocument.Parse(delivery.Body);
        Assert.Equal(CreateBatchRequest.CallbackUrlKind, body.RootElement.GetProperty("kind").GetString());
        var batch = body.RootElement.GetProperty("args").GetProperty("batch");
        Assert.Equal(created.Batch.Id, batch.GetProperty("id").GetInt64());
        Assert.Equal(1, batch.GetProperty("completed").GetInt32());
        Assert.Equal(1, batch.GetProperty("cancelled").GetInt32());
        Assert.Equal(1, batch.GetProperty("discarded").GetInt32());
    }

    [Fact]
    public async Task Sql_enqueue_runs_only_after_commit()
    {
        await using var dataSource = NpgsqlDataSource.Create(services.Database.ConnectionString);
        await using var connection = await dataSource.OpenConnectionAsync();
        long rolledBack;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            rolledBack = await EnqueueAsync(connection, transaction, """{"order": 1}""");
            await transaction.RollbackAsync();
        }

        long committed;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            committed = await EnqueueAsync(connection, transaction, """{"order": 2}""");
            await Task.Delay(500);
            Assert.Equal(0L, await services.Database.ScalarAsync<long>(
                "SELECT count(*) FROM jobqueue.jobs WHERE id = $1 AND state <> 'available'", committed));
            await transaction.CommitAsync();
        }

        using var client = services.CreateClient();
        using var missing = await client.GetAsync($"/v1/jobs/{rolledBack}");
        var job = await client.GetFromJsonAsync<Job>($"/v1/jobs/{committed}?wait=30s");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(JobState.Completed, job!.State);
        Assert.Equal(2, job.Result!.Value.GetProperty("order").GetInt32());
    }

    [Fact]
    public async Task Long_poll_returns_as_soon_as_job_finishes()
    {
        using var client = services.CreateClient();
        using var enqueued = await client.PostAsync("/v1/jobs", Json("""{"kind": "sleep", "args": {"ms": 1500}}"""));
        var job = (await enqueued.Content.ReadFromJsonAsync<Job>())!;

        var watch = Stopwatch.StartNew();
        var finished = await client.GetFromJsonAsync<Job>($"/v1/jobs/{job.Id}?wait=60s");
        watch.Stop();
        var respondedAt = DateTimeOffset.UtcNow;

        Assert.Equal(JobState.Completed, finished!.State);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        Assert.InRange(respondedAt - finished.FinishedAt!.Value, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Passed_deadline_discards_job_without_attempt()
    {
        using var client = services.CreateClient();
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        using (var pause = await client.PostAsync($"/v1/queues/{queue}/pause", null))
        {
            Assert.Equal(HttpStatusCode.OK, pause.StatusCode);
        }

        var deadline = DateTimeOffset.UtcNow.AddSeconds(1).ToString("o", CultureInfo.InvariantCulture);
        using var enqueued = await client.PostAsync("/v1/jobs", Json(
            $$"""{"kind": "noop", "queue": "{{queue}}", "discard_after": "{{deadline}}"}"""));
        var job = (await enqueued.Content.ReadFromJsonAsync<Job>())!;
        await Task.Delay(1500);
        using (var resume = await client.PostAsync($"/v1/queues/{queue}/resume", null))
        {
            Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        }

        var discarded = await client.GetFromJsonAsync<Job>($"/v1/jobs/{job.Id}?wait=30s");

        Assert.Equal(JobState.Discarded, discarded!.State);
        Assert.Equal(0, discarded.Attempt);
        Assert.Equal("deadline_passed", Assert.Single(discarded.Errors).Reason);
    }

    private static async Task<long> EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string args)
    {
        await using var command = new NpgsqlCommand("SELECT jobqueue.enqueue('echo', $1::jsonb)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = args });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<Batch> WaitForBatchAsync(HttpClient client, long id)
    {
        var deadline = DateTimeOffset.UtcNow + WaitLimit;
        Batch? batch = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            batch = await client.GetFromJsonAsync<Batch>($"/v1/batches/{id}");
            if (batch!.State == BatchState.Finished)
            {
                return batch;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Batch {id} did not finish within {WaitLimit.TotalSeconds} s; last seen {batch?.Pending} pending.\n" +
            services.Diagnostics());
    }
}
