using JobQueue.Contracts;
using JobQueue.Engine.Webhooks;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using StandardWebhooks;

namespace JobQueue.Tests.Engine;

public sealed class WebhookDeliveryTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _secret = WebhookSigner.CreateSecret();
    private readonly string _queue = "q" + Guid.NewGuid().ToString("N")[..10];
    private WebhookReceiver _receiver = null!;
    private IHost _worker = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        var routes = new Dictionary<string, string?>();
        var index = 0;
        foreach (var kind in new[] { "hook.ok", "hook.fail", "hook.redirect", "hook.slow", "hook.text", "hook.busy", "hook.gone", "hook.bad" })
        {
            routes[$"Webhooks:Routes:{index}:Kind"] = kind;
            routes[$"Webhooks:Routes:{index}:Url"] = _receiver.Url(kind);
            routes[$"Webhooks:Routes:{index}:Secret"] = _secret;
            routes[$"Webhooks:Routes:{index}:Timeout"] = "00:00:05";
            routes[$"Webhooks:Routes:{index}:Headers:x-api-key"] = "key-123";
            index++;
        }

        routes["Worker:Queues"] = $"{_queue}:4";
        _worker = await WorkerHost.StartAsync(database, routes);
    }

    public async Task DisposeAsync()
    {
        await _worker.StopAsync();
        _worker.Dispose();
        await _receiver.DisposeAsync();
    }

    private async Task<Job> EnqueueAsync(string kind, string args = "{}", int maxAttempts = 3, int? timeoutMs = null) =>
        (await database.Jobs.InsertManyAsync(
            [new NewJob(_queue, kind, args, 0, maxAttempts, timeoutMs, ["webhook"], null, null)],
            CancellationToken.None)).Single();

    [Fact]
    public async Task Delivery_is_signed_and_result_stored()
    {
        _receiver.Respond("hook.ok", async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"sent":42}""");
        });
        var job = await EnqueueAsync("hook.ok", """{"to":"ada@example.com"}""");

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(42, done.Result!.Value.GetProperty("sent").GetInt32());
        var delivery = Assert.Single(_receiver.Deliveries, d => d.Body.Contains($"\"id\":{job.Id},", StringComparison.Ordinal));
        new StandardWebhook(_secret).Verify(delivery.Body, delivery.RawHeaders);
        Assert.Equal($"job_{job.Id}", delivery.Headers["webhook-id"]);
        Assert.Equal("1", delivery.Headers[WebhookDispatcher.AttemptHeader]);
        Assert.Equal("key-123", delivery.Headers["x-api-key"]);
        Assert.Contains("\"to\":\"ada@example.com\"", delivery.Body, StringComparison.Ordinal);
        Assert.StartsWith("application/json", delivery.Headers["content-type"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_status_is_retried_with_same_webhook_id()
    {
        _receiver.Respond("hook.fail", async context =>
        {
            context.Response.StatusCode = 503;
            await context.Response.WriteAsync("down for maintenance");
        });
        var job = await EnqueueAsync("hook.fail", maxAttempts: 2);

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Discarded, done.State);
        Assert.Equal(2, done.Errors.Count);
        Assert.All(done.Errors, e => Assert.Equal(503, e.StatusCode));
        Assert.Contains("down for maintenance", done.Errors[0].Message, StringComparison.Ordinal);
        var deliveries = _receiver.Deliveries.Where(d => d.Body.Contains($"\"id\":{job.Id},", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal($"job_{job.Id}", d.Headers["webhook-id"]));
        Assert.Equal(["1", "2"], deliveries.Select(d => d.Headers[WebhookDispatcher.AttemptHeader]));
    }

    [Fact]
    public async Task Redirect_is_not_followed()
    {
        _receiver.Respond("hook.redirect", context =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = _receiver.Url("hook.ok");
            return Task.CompletedTask;
        });
        var job = await EnqueueAsync("hook.redirect", maxAttempts: 1);

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Discarded, done.State);
        var error = Assert.Single(done.Errors);
        Assert.Equal(302, error.StatusCode);
        Assert.Contains("hook.ok", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_receiver.Deliveries, d => d.Path == "hook.ok" && d.Body.Contains($"\"id\":{job.Id},", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Hanging_target_times_out()
    {
        _receiver.Respond("hook.slow", context => Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted));
        var job = await EnqueueAsync("hook.slow", maxAttempts: 1, timeoutMs: 500);

        var done = await database.Jobs.WaitForFinalAsync(job.Id, TimeSpan.FromSeconds(10));

        Assert.Equal(JobState.Discarded, done.State);
        Assert.Equal("timeout", Assert.Single(done.Errors).Reason);
    }

    [Fact]
    public async Task Plain_text_body_is_stored_as_string()
    {
        _receiver.Respond("hook.text", context => context.Response.WriteAsync("queued as #7"));
        var job = await EnqueueAsync("hook.text");

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal("queued as #7", done.Result!.Value.GetString());
    }

    [Fact]
    public async Task Too_many_requests_waits_for_retry_after()
    {
        var calls = 0;
        _receiver.Respond("hook.busy", async context =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                context.Response.StatusCode = 429;
                context.Response.Headers.RetryAfter = "2";
                return;
            }

            await context.Response.WriteAsync("""{"ok":true}""");
        });
        var job = await EnqueueAsync("hook.busy");

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Completed, done.State);
        var error = Assert.Single(done.Errors);
        Assert.Equal(429, error.StatusCode);
        Assert.Contains("Retry-After", error.Message, StringComparison.Ordinal);

        // The worker's own backoff is 50 ms here, so only Retry-After explains a 2 s wait.
        Assert.True(done.AttemptedAt - error.At >= TimeSpan.FromSeconds(1.9),
            $"the retry started {(done.AttemptedAt - error.At)!.Value.TotalMilliseconds} ms after the 429");
    }

    [Theory]
    [InlineData("hook.gone", 410)]
    [InlineData("hook.bad", 422)]
    public async Task Client_error_is_not_retried(string kind, int status)
    {
        _receiver.Respond(kind, context =>
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        });
        var job = await EnqueueAsync(kind, maxAttempts: 5);

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Discarded, done.State);
        Assert.Equal(1, done.Attempt);
        Assert.Equal(status, Assert.Single(done.Errors).StatusCode);
    }
}
