using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using JobQueue.Contracts;
using JobQueue.Engine.Webhooks;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace JobQueue.Tests.Engine;

/// <summary>
/// Targets that accept the connection, respond or send their body too slowly, against a real receiver on
/// 127.0.0.1. Every route's total Timeout is 5 s, so only the phase limits can explain a quick end.
/// </summary>
public sealed class WebhookTimeoutTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _queue = "q" + Guid.NewGuid().ToString("N")[..10];
    private readonly List<Socket> _sockets = [];
    private WebhookReceiver _receiver = null!;
    private IHost _worker = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        var unaccepted = await StartFullListenerAsync();
        var secret = WebhookSigner.CreateSecret();
        var routes = new Dictionary<string, string?>
        {
            ["Worker:Queues"] = $"{_queue}:4",
            ["Webhooks:Routes:0:Kind"] = "hook.headers",
            ["Webhooks:Routes:0:Url"] = _receiver.Url("hook.headers"),
            ["Webhooks:Routes:0:ResponseHeadersTimeout"] = "00:00:00.500",
            ["Webhooks:Routes:1:Kind"] = "hook.trickle",
            ["Webhooks:Routes:1:Url"] = _receiver.Url("hook.trickle"),
            ["Webhooks:Routes:1:BodyReadTimeout"] = "00:00:00.600",
            ["Webhooks:Routes:2:Kind"] = "hook.large",
            ["Webhooks:Routes:2:Url"] = _receiver.Url("hook.large"),
            ["Webhooks:Routes:3:Kind"] = "hook.connect",
            ["Webhooks:Routes:3:Url"] = $"http://{unaccepted}/hook.connect",
            ["Webhooks:Routes:3:ConnectTimeout"] = "00:00:00.500",
        };
        for (var i = 0; i < 4; i++)
        {
            routes[$"Webhooks:Routes:{i}:Secret"] = secret;
            routes[$"Webhooks:Routes:{i}:Timeout"] = "00:00:05";
        }

        _worker = await WorkerHost.StartAsync(database, routes);
    }

    public async Task DisposeAsync()
    {
        await _worker.StopAsync();
        _worker.Dispose();
        await _receiver.DisposeAsync();
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
    }

    private async Task<Job> EnqueueAsync(string kind) =>
        (await database.Jobs.InsertManyAsync(
            [new NewJob(_queue, kind, "{}", 0, 1, null, ["webhook"], null, null)],
            CancellationToken.None)).Single();

    [Fact]
    public async Task Missing_response_headers_time_out()
    {
        _receiver.Respond("hook.headers", context => Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted));
        var clock = Stopwatch.StartNew();
        var job = await EnqueueAsync("hook.headers");

        var done = await database.Jobs.WaitForFinalAsync(job.Id, TimeSpan.FromSeconds(10));

        Assert.Equal(JobState.Discarded, done.State);
        var error = Assert.Single(done.Errors);
        Assert.Equal("timeout", error.Reason);
        Assert.Contains("no response headers after 0.5 s", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Trickled_body_times_out()
    {
        _receiver.Respond("hook.trickle", async context =>
        {
            context.Response.ContentType = "text/plain";
            await context.Response.StartAsync(context.RequestAborted);

            // One byte per 200 ms for at most 6 s, far past the route's 0.6 s body read timeout.
            for (var i = 0; i < 30 && !context.RequestAborted.IsCancellationRequested; i++)
            {
                await context.Response.WriteAsync("x", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(200, context.RequestAborted);
            }
        });
        var clock = Stopwatch.StartNew();
        var job = await EnqueueAsync("hook.trickle");

        var done = await database.Jobs.WaitForFinalAsync(job.Id, TimeSpan.FromSeconds(10));

        Assert.Equal(JobState.Discarded, done.State);
        var error = Assert.Single(done.Errors);
        Assert.Equal("timeout", error.Reason);
        Assert.Contains("body read timed out after 0.6 s", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Large_body_is_cut_at_limit()
    {
        var written = 0L;
        _receiver.Respond("hook.large", async context =>
        {
            context.Response.ContentType = "text/plain";
            context.Response.ContentLength = 10 * 1024 * 1024;
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'a');
            for (var i = 0; i < 160; i++)
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                Interlocked.Add(ref written, chunk.Length);
            }
        });
        var clock = Stopwatch.StartNew();
        var job = await EnqueueAsync("hook.large");

        var done = await database.Jobs.WaitForFinalAsync(job.Id, TimeSpan.FromSeconds(10));

        Assert.Equal(JobState.Completed, done.State);
        Assert.Empty(done.Errors);

        // The stored result is the text read, cut to the result limit. Its size shows how much
        // was read: 64 KiB of 'a' and two quotes, not 10 MiB.
        var result = done.Result!.Value;
        Assert.True(result.GetProperty("truncated").GetBoolean());
        Assert.Equal(64 * 1024 + 2, result.GetProperty("size_bytes").GetInt32());
        Assert.StartsWith("\"aaaa", result.GetProperty("prefix").GetString(), StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Connect_times_out()
    {
        var clock = Stopwatch.StartNew();
        var job = await EnqueueAsync("hook.connect");

        var done = await database.Jobs.WaitForFinalAsync(job.Id, TimeSpan.FromSeconds(10));

        Assert.Equal(JobState.Discarded, done.State);
        var error = Assert.Single(done.Errors);
        Assert.Equal("timeout", error.Reason);
        Assert.Contains("connect timed out after 0.5 s", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed.TotalMilliseconds} ms");
    }

    /// <summary>
    /// Starts a loopback listener that never accepts and fills its accept queue, so that Linux
    /// drops the SYN of every further connection and the connect hangs. Returns its endpoint.
    /// </summary>
    private async Task<IPEndPoint> StartFullListenerAsync()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(listener);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _sockets.Add(filler);
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            try
            {
                await filler.ConnectAsync(endpoint, wait.Token);
            }
            catch (OperationCanceledException)
            {
                // The queue is full already: this connect is one of the hanging ones.
            }
        }

        return endpoint;
    }
}
