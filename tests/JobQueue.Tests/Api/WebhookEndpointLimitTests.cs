using System.Text.Json;
using JobQueue.Contracts;
using JobQueue.Engine.Webhooks;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobQueue.Tests.Api;

/// <summary>
/// An endpoint's concurrency and rate limits with two workers: the API host's own (async mode)
/// and a second worker host, each with two slots, so one worker alone could never reach a limit
/// of three.
/// </summary>
public sealed class WebhookEndpointLimitTests(WebhookLimitFixture fixture) : IClassFixture<WebhookLimitFixture>, IAsyncLifetime
{
    private const string WorkerHeader = "x-test-worker";
    private static readonly int[] RetriedStatuses = [409];
    private IHost _second = null!;

    public async Task InitializeAsync()
    {
        var settings = fixture.WorkerSettings;
        settings["Worker:Queues"] = "limits:2";
        _second = await WorkerHost.StartAsync(fixture.Database, settings, services =>
            services.AddHttpClient(WebhookDispatcher.HttpClientName).AddHttpMessageHandler(() => new WorkerTagHandler("second")));
    }

    public async Task DisposeAsync()
    {
        await _second.StopAsync();
        _second.Dispose();
    }

    private async Task<long> CreateEndpointAsync(object body)
    {
        var (status, text, _) = await fixture.SendAsync(HttpMethod.Post, "/v1/endpoints", body);
        Assert.True(status == 201, $"create returned {status}: {text}");
        await Task.Delay(300);
        return JsonSerializer.Deserialize<WebhookEndpoint>(text)!.Id;
    }

    private async Task<List<long>> EnqueueAsync(string kind, int count)
    {
        var jobs = Enumerable.Range(0, count).Select(_ => new { kind, queue = "limits" }).ToArray();
        var (status, text, _) = await fixture.SendAsync(HttpMethod.Post, "/v1/jobs/batch", new { jobs });
        Assert.True(status == 201, $"batch returned {status}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.GetProperty("jobs").EnumerateArray().Select(job => job.GetProperty("id").GetInt64()).ToList();
    }

    [Fact]
    public async Task Concurrency_limit_holds_across_two_workers()
    {
        var kind = "limited." + Guid.NewGuid().ToString("N")[..8];
        var path = kind + "-path";
        var inFlight = 0;
        var maxInFlight = 0;
        fixture.Receiver.Respond(path, async context =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            await Task.Delay(300);
            Interlocked.Decrement(ref inFlight);
            await context.Response.WriteAsync("ok");
        });
        var endpointId = await CreateEndpointAsync(new { url = fixture.Receiver.Url(path), kinds = new[] { kind }, concurrency_limit = 3 });

        var ids = await EnqueueAsync(kind, 15);
        foreach (var id in ids)
        {
            Assert.Equal(JobState.Completed, (await fixture.Database.Jobs.WaitForFinalAsync(id, TimeSpan.FromSeconds(30))).State);
        }

        // Two slots per worker: a third delivery at once needs both workers, and a fourth would break the limit.
        Assert.Equal(3, Volatile.Read(ref maxInFlight));
        var deliveries = fixture.Receiver.Deliveries.Where(d => d.Path == path).ToList();
        Assert.Equal(15, deliveries.Count);
        Assert.Contains(deliveries, d => d.Headers.GetValueOrDefault(WorkerHeader) == "second");
        Assert.Contains(deliveries, d => !d.Headers.ContainsKey(WorkerHeader));
        var key = await fixture.Database.ScalarAsync<string>("SELECT concurrency_key FROM jobqueue.jobs WHERE id = $1", ids[0]);
        Assert.Equal($"endpoint:{endpointId}", key);
    }

    [Fact]
    public async Task Rate_limit_holds_across_two_workers()
    {
        var kind = "paced." + Guid.NewGuid().ToString("N")[..8];
        var path = kind + "-path";
        var arrivals = new System.Collections.Concurrent.ConcurrentQueue<DateTimeOffset>();
        fixture.Receiver.Respond(path, context =>
        {
            arrivals.Enqueue(DateTimeOffset.UtcNow);
            return context.Response.WriteAsync("ok");
        });
        await CreateEndpointAsync(new { url = fixture.Receiver.Url(path), kinds = new[] { kind }, rate_limit = 4, rate_limit_period_seconds = 1 });

        var ids = await EnqueueAsync(kind, 12);
        foreach (var id in ids)
        {
            Assert.Equal(JobState.Completed, (await fixture.Database.Jobs.WaitForFinalAsync(id, TimeSpan.FromSeconds(30))).State);
        }

        // Starts are limited by the database clock at claim time and arrivals are measured here,
        // so windows are 0.9 s to leave room for the delay between the two.
        var times = arrivals.Order().ToList();
        Assert.Equal(12, times.Count);
        for (var i = 0; i < times.Count; i++)
        {
            var inWindow = times.Count(t => t >= times[i] && t < times[i] + TimeSpan.FromSeconds(0.9));
            Assert.True(inWindow <= 4, $"{inWindow} deliveries arrived within 0.9 s of delivery {i}");
        }

        Assert.True(times[^1] - times[0] >= TimeSpan.FromSeconds(1.8), $"12 deliveries took only {(times[^1] - times[0]).TotalSeconds} s");
    }

    [Fact]
    public async Task Limit_change_applies_to_waiting_jobs()
    {
        var kind = "relimited." + Guid.NewGuid().ToString("N")[..8];
        var path = kind + "-path";
        await fixture.SendAsync(HttpMethod.Post, "/v1/queues/held/pause");
        var endpointId = await CreateEndpointAsync(new { url = fixture.Receiver.Url(path), kinds = new[] { kind }, concurrency_limit = 1 });
        var (_, text, _) = await fixture.SendAsync(HttpMethod.Post, "/v1/jobs", new { kind, queue = "held" });
        var id = JsonSerializer.Deserialize<Job>(text)!.Id;

        var (status, _, _) = await fixture.SendAsync(HttpMethod.Put, $"/v1/endpoints/{endpointId}",
            new { url = fixture.Receiver.Url(path), kinds = new[] { kind }, concurrency_limit = 5, rate_limit = 9 });

        Assert.Equal(200, status);
        Assert.Equal(5, await fixture.Database.ScalarAsync<int>("SELECT concurrency_limit FROM jobqueue.jobs WHERE id = $1", id));
        Assert.Equal(9, await fixture.Database.ScalarAsync<int>("SELECT rate_limit FROM jobqueue.jobs WHERE id = $1", id));
        var (deleted, _, _) = await fixture.SendAsync(HttpMethod.Delete, $"/v1/endpoints/{endpointId}");
        Assert.Equal(204, deleted);
        Assert.Equal(0L, await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM jobqueue.jobs WHERE id = $1 AND (concurrency_key IS NOT NULL OR rate_limit_key IS NOT NULL)", id));
    }

    [Fact]
    public async Task Endpoint_retry_policy_applies()
    {
        var kind = "policy." + Guid.NewGuid().ToString("N")[..8];
        var path = kind + "-path";
        fixture.Receiver.Respond(path, context =>
        {
            context.Response.StatusCode = 409;
            return Task.CompletedTask;
        });
        await CreateEndpointAsync(new { url = fixture.Receiver.Url(path), kinds = new[] { kind }, retry_statuses = RetriedStatuses, max_attempts = 3 });

        var (_, text, _) = await fixture.SendAsync(HttpMethod.Post, "/v1/jobs", new { kind, queue = "limits", max_attempts = 10 });
        var done = await fixture.Database.Jobs.WaitForFinalAsync(JsonSerializer.Deserialize<Job>(text)!.Id);

        Assert.Equal(JobState.Discarded, done.State);
        Assert.Equal(3, done.Attempt);
        Assert.All(done.Errors, e => Assert.Equal(409, e.StatusCode));
        Assert.Contains("allows 3 attempts", done.Errors[^1].Message, StringComparison.Ordinal);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Marks the requests of one worker host so the receiver can tell the workers apart.</summary>
    private sealed class WorkerTagHandler(string name) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation(WorkerHeader, name);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
