using System.Globalization;
using System.Text;
using JobQueue.Engine.Execution;
using JobQueue.Engine.Options;
using JobQueue.Storage;

namespace JobQueue.Engine.Webhooks;

/// <summary>
/// Sending a delivery and reading its response, each phase under its own time limit. An
/// internal limit that fires becomes a failed attempt with reason <c>timeout</c>; only the
/// caller's token ends in an <see cref="OperationCanceledException"/>.
/// </summary>
public sealed partial class WebhookDispatcher
{
    private async Task<AttemptOutcome> SendAsync(
        HttpRequestMessage request, WebhookRoute route, AttemptObservation observation, CancellationToken cancellationToken)
    {
        var client = _clients.CreateClient(HttpClientName);
        HttpResponseMessage response;
        var headersTimeout = route.EffectiveResponseHeadersTimeout;
        try
        {
            using var headersDeadline = new CancellationTokenSource(headersTimeout, _timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, headersDeadline.Token);
            try
            {
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            }
            catch (OperationCanceledException) when (headersDeadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return TimedOut($"The webhook sent no response headers after {Seconds(headersTimeout)} s, " +
                    "the route's ResponseHeadersTimeout.");
            }
        }
        catch (HttpRequestException exception) when (exception.InnerException is DestinationBlockedException blocked)
        {
            // Not retried: the address will not change into an allowed one by waiting.
            return new AttemptOutcome.Failed(new JobFailure("blocked_destination", blocked.Message), Retry: false);
        }
        catch (HttpRequestException exception) when (exception.InnerException is ConnectTimeoutException)
        {
            return TimedOut($"The webhook connect timed out after {Seconds(route.ConnectTimeout)} s, the route's ConnectTimeout.");
        }
        catch (HttpRequestException exception)
        {
            return new AttemptOutcome.Failed(new JobFailure("http_error", $"The webhook could not be reached: {exception.Message}"));
        }

        using (response)
        {
            observation.SetResponse(response);
            return await ReadResponseAsync(response, route, observation, cancellationToken);
        }
    }

    private async Task<AttemptOutcome> ReadResponseAsync(
        HttpResponseMessage response, WebhookRoute route, AttemptObservation observation, CancellationToken cancellationToken)
    {
        var body = await ReadBoundedAsync(response.Content, route.BodyReadTimeout, cancellationToken);
        observation.SetBody(body.Text);
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            if (body.Error is { } error)
            {
                // The target accepted the delivery, but an unfinished body may hide a failure
                // that it reports at the end, so the attempt fails and is retried. Receivers
                // drop the duplicate by webhook-id.
                var message = $"The webhook responded with {status}, but {error}";
                return body.TimedOut ? TimedOut(message) : HttpError(message);
            }

            return new AttemptOutcome.Succeeded(_results.FromBody(body.Text, body.Truncated));
        }

        // The status alone decides whether a failure is retried; an unfinished body only adds to the message.
        var text = body.Error is { } note ? $"{body.Text} [{note}]" : body.Text;
        return ResponsePolicy.Classify(status, response.ReasonPhrase, response.Headers, text, _timeProvider.GetUtcNow(), _maxRetryAfter);
    }

    /// <summary>
    /// Reads at most <c>MaxResponseBytes</c> of the body within <paramref name="timeout"/>. A body
    /// that is longer is cut there and not read to its end. Returns what was read, and an error
    /// message when the time ran out or the connection failed before the body ended.
    /// </summary>
    private async Task<BodyRead> ReadBoundedAsync(HttpContent content, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);

        // Reading one byte past the limit shows whether the body is longer than it. The buffer
        // starts at the declared length, or at 4 KiB, and doubles up to that, because most
        // receivers respond with a few bytes. Allocating and zeroing the whole limit (64 KiB by
        // default) for every delivery cost a webhook drain about 13% of its rate.
        var limit = _maxResponseBytes + 1;
        var buffer = new byte[content.Headers.ContentLength is { } declared && declared < limit
            ? (int)declared + 1
            : Math.Min(limit, InitialBodyBufferBytes)];
        var read = 0;
        string? error = null;
        var timedOut = false;
        try
        {
            await using var stream = await content.ReadAsStreamAsync(linked.Token);
            while (read < limit)
            {
                if (read == buffer.Length)
                {
                    Array.Resize(ref buffer, (int)Math.Min(limit, 2L * buffer.Length));
                }

                var count = await stream.ReadAsync(buffer.AsMemory(read), linked.Token);
                if (count == 0)
                {
                    break;
                }

                read += count;
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            timedOut = true;
            error = $"the body read timed out after {Seconds(timeout)} s, the route's BodyReadTimeout, with {read} bytes read.";
        }
        catch (IOException exception)
        {
            error = $"the connection failed after {read} bytes of the body: {exception.Message}";
        }

        var truncated = read > _maxResponseBytes;
        var text = Encoding.UTF8.GetString(buffer, 0, Math.Min(read, _maxResponseBytes));
        return new BodyRead(text, truncated, error, timedOut);
    }

    private const int InitialBodyBufferBytes = 4096;

    private static AttemptOutcome.Failed TimedOut(string message) => new(new JobFailure("timeout", message));

    private static AttemptOutcome.Failed HttpError(string message) => new(new JobFailure("http_error", message));

    private static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private sealed record BodyRead(string Text, bool Truncated, string? Error, bool TimedOut);
}
