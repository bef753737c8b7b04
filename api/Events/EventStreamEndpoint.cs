using System.Globalization;
using System.Text;
using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Events;

/// <summary>
/// <c>GET /v1/events</c>: changes to jobs as server-sent events, so that pages update lists and
/// counts without polling. A stream lasts at most <see cref="MaxStreamDuration"/>, after which the
/// client reconnects (EventSource does so on its own after the advertised retry delay); it ends as
/// soon as the client disconnects or the host stops.
/// </summary>
public sealed class EventStreamEndpoint(JobEventListener listener, ILogger<EventStreamEndpoint> logger)
    : EndpointWithoutRequest
{
    public const string ContentType = "text/event-stream";

    /// <summary>Longest life of one stream; clients reconnect after it.</summary>
    public static readonly TimeSpan MaxStreamDuration = TimeSpan.FromMinutes(5);

    /// <summary>Interval of comment lines that keep proxies from closing an idle stream.</summary>
    public static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);

    public override void Configure()
    {
        Get("/v1/events");
        AllowAnonymous();
        Description(
            builder => builder
                .WithName("streamEvents")
                .Produces<string>(StatusCodes.Status200OK, ContentType)
                .ProducesProblems(500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Stream job changes (server-sent events)";
            summary.Description =
                "A text/event-stream of changes. Event 'available' carries {\"queue\": name} when jobs of that " +
                "queue became due; 'finished' carries {\"id\": job id} when a job became completed, cancelled or " +
                "discarded; 'enqueued' carries {\"last_id\": id} at most once a second when new jobs were " +
                "enqueued; 'reset' carries {} when changes may have been missed (at the start and after the " +
                "server's database connection was re-established), so a client should reload what it shows. " +
                "Events are hints to reload, not a complete log: a slow client loses its oldest buffered events. " +
                "A comment line is sent every 15 seconds, and the server ends the stream after 5 minutes; " +
                "reconnect then.";
            summary.Responses[200] = "The event stream.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "Too many streams are open on this server; retry after Retry-After.";
        });
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        using var subscription = listener.Subscribe();
        if (subscription is null)
        {
            ApiLog.EventStreamRejected(logger, JobEventListener.MaxSubscribers);
            HttpContext.Response.Headers.RetryAfter = "5";
            var problem = ApiProblem.Create(HttpContext, StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable,
                $"This server already streams events to {JobEventListener.MaxSubscribers} clients. Retry later.");
            await Send.ResultAsync(problem.ToResult());
            return;
        }

        ApiLog.EventStreamOpened(logger);
        var response = HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        await WriteAsync(response, "retry: 3000\n\nevent: reset\ndata: {}\n\n", ct);

        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(ct);
        lifetime.CancelAfter(MaxStreamDuration);
        var reader = subscription.Events;
        try
        {
            while (!lifetime.IsCancellationRequested)
            {
                using var keepAlive = CancellationTokenSource.CreateLinkedTokenSource(lifetime.Token);
                keepAlive.CancelAfter(KeepAliveInterval);
                bool more;
                try
                {
                    more = await reader.WaitToReadAsync(keepAlive.Token);
                }
                catch (OperationCanceledException) when (!lifetime.IsCancellationRequested)
                {
                    await WriteAsync(response, ": keep-alive\n\n", lifetime.Token);
                    continue;
                }

                if (!more)
                {
                    break;
                }

                var text = new StringBuilder();
                while (reader.TryRead(out var jobEvent))
                {
                    text.Append(Format(jobEvent));
                }

                await WriteAsync(response, text.ToString(), lifetime.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The stream reached its maximum duration; the client reconnects.
        }
    }

    private static string Format(JobEvent jobEvent) => jobEvent.Type switch
    {
        JobEventType.Available => $"event: available\ndata: {{\"queue\":{System.Text.Json.JsonSerializer.Serialize(jobEvent.Queue)}}}\n\n",
        JobEventType.Finished => string.Create(CultureInfo.InvariantCulture, $"event: finished\ndata: {{\"id\":{jobEvent.Id}}}\n\n"),
        JobEventType.Enqueued => string.Create(CultureInfo.InvariantCulture, $"event: enqueued\ndata: {{\"last_id\":{jobEvent.Id}}}\n\n"),
        _ => "event: reset\ndata: {}\n\n",
    };

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken ct)
    {
        await response.WriteAsync(text, ct);
        await response.Body.FlushAsync(ct);
    }
}
