using System.Net;
using System.Net.Sockets;
using JobQueue.Contracts;
using JobQueue.Engine.Webhooks;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobQueue.Tests.Engine;

/// <summary>
/// The per-route circuit breaker against a real receiver. Every route opens after 2 consecutive
/// failures for 1 s, and the worker's own backoff is 50 ms, so a retry about 1 s after a
/// <c>circuit_open</c> error comes from the circuit.
/// </summary>
public sealed class WebhookCircuitTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private static readonly string[] Kinds = ["hook.down", "hook.recovers", "hook.refused", "hook.rejects"];

    private readonly string _queue = "q" + Guid.NewGuid().ToString("N")[..10];
    private WebhookReceiver _receiver = null!;
    private IHost _worker = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        var secret = WebhookSigner.CreateSecret();
        var routes = new Dictionary<string, string?> { ["Worker:Queues"] = $"{_queue}:4" };
        for (var i = 0; i < Kinds.Length; i++)
        {
            routes[$"Webhooks:Routes:{i}:Kind"] = Kinds[i];
            routes[$"Webhooks:Routes:{i}:Url"] = Kinds[i] == "hook.refused" ? $"http://{ClosedPort()}/" : _receiver.Url(Kinds[i]);
            routes[$"Webhooks:Routes:{i}:Secret"] = secret;
            routes[$"Webhooks:Routes:{i}:CircuitFailureThreshold"] = "2";
            routes[$"Webhooks:Routes:{i}:CircuitOpenDuration"] = "00:00:01";
        }

        _worker = await WorkerHost.StartAsync(database, routes);
    }

    public async Task DisposeAsync()
    {
        await _worker.StopAsync();
        _worker.Dispose();
        await _receiver.DisposeAsync();
    }

    private WebhookDispatcher Dispatcher => _worker.Services.GetRequiredService<WebhookDispatcher>();

    private async Task<Job> EnqueueAsync(string kind, int maxAttempts) =>
        (await database.Jobs.InsertManyAsync(
            [new NewJob(_queue, kind, "{}", 0, maxAttempts, null, [], null, null)], CancellationToken.None)).Single();

    private int DeliveriesOf(Job job) =>
        _receiver.Deliveries.Count(d => d.Body.Contains($"\"id\":{job.Id},", StringComparison.Ordinal));

    [Fact]
    public async Task Open_circuit_skips_target_then_probes()
    {
        _receiver.Respond("hook.down", context =>
        {
            context.Response.StatusCode = 500;
            return Task.CompletedTask;
        });
        var job = await EnqueueAsync("hook.down", maxAttempts: 3);

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        // Three real attempts: the circuit_open one is given back with one more attempt in the budget.
        Assert.Equal(JobState.Discarded, done.State);
        Assert.Equal(4, done.MaxAttempts);
        Assert.Equal(["http_status", "http_status", "circuit_open", "http_status"], done.Errors.Select(e => e.Reason));
        Assert.Equal(3, DeliveriesOf(job));
        Assert.Contains("was not called", done.Errors[2].Message, StringComparison.Ordinal);
        var waited = done.Errors[3].At - done.Errors[1].At;
        Assert.True(waited >= TimeSpan.FromSeconds(0.95), $"the probe ended {waited.TotalMilliseconds} ms after the circuit opened");

        // The failed probe opened the circuit again.
        Assert.True(Dispatcher.CircuitFor("hook.down").IsOpen);
    }

    [Fact]
    public async Task Successful_probe_closes_circuit()
    {
        var calls = 0;
        _receiver.Respond("hook.recovers", async context =>
        {
            if (Interlocked.Increment(ref calls) <= 2)
            {
                context.Response.StatusCode = 503;
                return;
            }

            await context.Response.WriteAsync("""{"ok":true}""");
        });
        var job = await EnqueueAsync("hook.recovers", maxAttempts: 5);

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(["http_status", "http_status", "circuit_open"], done.Errors.Select(e => e.Reason));
        Assert.Equal(3, DeliveriesOf(job));
        Assert.False(Dispatcher.CircuitFor("hook.recovers").IsOpen);

        var next = await database.Jobs.WaitForFinalAsync((await EnqueueAsync("hook.recovers", maxAttempts: 1)).Id);
        Assert.Equal(JobState.Completed, next.State);
        Assert.Empty(next.Errors);
    }

    [Fact]
    public async Task Connection_errors_open_circuit()
    {
        var job = await EnqueueAsync("hook.refused", maxAttempts: 3);

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        // The circuit_open attempt is not counted, so the job gets one more real attempt: the
        // probe, which fails and opens the circuit again.
        Assert.Equal(JobState.Discarded, done.State);
        Assert.Equal(["http_error", "http_error", "circuit_open", "http_error"], done.Errors.Select(e => e.Reason));
        Assert.Equal(4, done.MaxAttempts);
        Assert.True(Dispatcher.CircuitFor("hook.refused").IsOpen);
    }

    [Fact]
    public async Task Client_errors_keep_circuit_closed()
    {
        _receiver.Respond("hook.rejects", context =>
        {
            context.Response.StatusCode = 422;
            return Task.CompletedTask;
        });

        for (var i = 0; i < 3; i++)
        {
            var done = await database.Jobs.WaitForFinalAsync((await EnqueueAsync("hook.rejects", maxAttempts: 1)).Id);
            Assert.Equal(422, Assert.Single(done.Errors).StatusCode);
        }

        Assert.False(Dispatcher.CircuitFor("hook.rejects").IsOpen);
    }

    /// <summary>Returns a loopback endpoint that refuses connections: a port that was bound and released.</summary>
    private static IPEndPoint ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (IPEndPoint)socket.LocalEndPoint!;
    }
}
