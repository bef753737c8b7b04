using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using JobQueue.Engine.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobQueue.Tests.Infrastructure;

/// <summary>
/// A webhook target on 127.0.0.1 for fault tests. Each worker posts to <c>/probe/{worker}</c>, so
/// every delivery is recorded with the worker that sent it, the job id (from <c>webhook-id</c>),
/// the attempt header, and its start and end on one monotonic clock. The receiver sleeps for the
/// job's <c>args.ms</c> and returns 200 with <c>{"job_id":…,"attempt":…}</c>, which the worker
/// stores as the job's result. A delivery whose connection closes first ends at that moment and
/// is recorded as not answered.
/// </summary>
public sealed class FaultProbeReceiver : IAsyncDisposable
{
    private const string MessageIdPrefix = "job_";

    private readonly WebApplication _app;
    private readonly long _origin = Stopwatch.GetTimestamp();
    private readonly ConcurrentQueue<ProbeDelivery> _deliveries = new();
    private readonly ConcurrentDictionary<long, ProbeDelivery> _inFlight = new();
    private long _sequence;

    private FaultProbeReceiver(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    /// <summary>Time since the receiver started, on the clock that delivery starts and ends use.</summary>
    public TimeSpan Now => Stopwatch.GetElapsedTime(_origin);

    /// <summary>Deliveries that have ended, in the order they ended.</summary>
    public IReadOnlyList<ProbeDelivery> Deliveries => _deliveries.ToArray();

    public static async Task<FaultProbeReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new FaultProbeReceiver(app);
        app.MapPost("/probe/{worker}", receiver.HandleAsync);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        receiver.BaseUrl = addresses.Addresses.Single().TrimEnd('/');
        return receiver;
    }

    /// <summary>The URL that worker <paramref name="worker"/> delivers to.</summary>
    public string UrlFor(string worker) => $"{BaseUrl}/probe/{worker}";

    /// <summary>Deliveries from <paramref name="worker"/> that have started and not ended yet.</summary>
    public IReadOnlyList<ProbeDelivery> InFlight(string worker) =>
        _inFlight.Values.Where(d => d.Worker == worker).ToList();

    /// <summary>Deliveries that have started and not ended yet, from every worker.</summary>
    public int InFlightCount => _inFlight.Count;

    private async Task HandleAsync(HttpContext context, string worker)
    {
        var start = Now;
        var headers = context.Request.Headers;
        var messageId = headers["webhook-id"].ToString();
        if (!messageId.StartsWith(MessageIdPrefix, StringComparison.Ordinal)
            || !long.TryParse(messageId[MessageIdPrefix.Length..], CultureInfo.InvariantCulture, out var jobId)
            || !int.TryParse(headers[WebhookDispatcher.AttemptHeader], CultureInfo.InvariantCulture, out var attempt))
        {
            // The worker always sends both headers. Without them the job retries until the round's wait times out.
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        // The abort callback runs as soon as Kestrel detects the closed connection. On a busy
        // machine that can be earlier than the continuation of the cancelled delay below.
        long abortedAt = 0;
        using var abortRegistration = context.RequestAborted.Register(
            () => Interlocked.CompareExchange(ref abortedAt, Stopwatch.GetTimestamp(), 0));

        var key = Interlocked.Increment(ref _sequence);
        _inFlight[key] = new ProbeDelivery(jobId, attempt, worker, start, start, Answered: false);
        var answered = false;
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            var milliseconds = body.RootElement.GetProperty("args").GetProperty("ms").GetInt32();
            await Task.Delay(milliseconds, context.RequestAborted);

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(
                string.Create(CultureInfo.InvariantCulture, $$"""{"job_id":{{jobId}},"attempt":{{attempt}}}"""),
                context.RequestAborted);
            await context.Response.CompleteAsync();
            answered = true;
        }
        catch (Exception exception) when (context.RequestAborted.IsCancellationRequested
            && exception is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The worker closed the connection: killed, stopped for shutdown, or lease lost.
        }
        finally
        {
            var end = Now;
            var aborted = Interlocked.Read(ref abortedAt);
            if (aborted != 0)
            {
                var abortedElapsed = TimeSpan.FromTicks(Math.Max(0, Stopwatch.GetElapsedTime(_origin, aborted).Ticks));
                end = abortedElapsed < end ? abortedElapsed : end;
            }

            _deliveries.Enqueue(new ProbeDelivery(jobId, attempt, worker, start, end, answered));
            _inFlight.TryRemove(key, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One webhook delivery as the probe receiver recorded it, with times since the receiver started.</summary>
/// <param name="Answered">True when the receiver wrote its whole 200 response before the connection closed.</param>
public sealed record ProbeDelivery(long JobId, int Attempt, string Worker, TimeSpan Start, TimeSpan End, bool Answered)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"attempt {Attempt} from {Worker} {Start.TotalMilliseconds:0}–{End.TotalMilliseconds:0} ms{(Answered ? "" : " (aborted)")}");
}
