using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using JobQueue.Engine.Execution;
using JobQueue.Engine.Handlers;
using JobQueue.Engine.Options;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Engine.Webhooks;

/// <summary>
/// Delivers jobs of routed kinds as signed POST requests. A 2xx response completes the attempt,
/// with a JSON body stored as the result; any other status, a redirect included, fails it.
/// Redirects are not followed, so a POST never turns into a GET on the way.
/// </summary>
public sealed class WebhookDispatcher : IJobDispatcher
{
    /// <summary>Name of the <see cref="HttpClient"/> used for deliveries.</summary>
    public const string HttpClientName = "jobqueue-webhooks";

    /// <summary>Request header carrying the attempt number, starting at 1.</summary>
    public const string AttemptHeader = "jobqueue-attempt";

    private static readonly JsonSerializerOptions PayloadOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private readonly IHttpClientFactory _clients;
    private readonly ResultSerializer _results;
    private readonly TimeProvider _timeProvider;
    private readonly int _maxResponseBytes;
    private readonly TimeSpan _maxRetryAfter;
    private readonly Dictionary<string, (WebhookRoute Route, byte[] Key)> _routes = new(StringComparer.Ordinal);

    public WebhookDispatcher(
        IOptions<WebhookOptions> options, IHttpClientFactory clients, ResultSerializer results, TimeProvider timeProvider)
    {
        _clients = clients;
        _results = results;
        _timeProvider = timeProvider;
        _maxResponseBytes = options.Value.MaxResponseBytes;
        _maxRetryAfter = options.Value.MaxRetryAfter;
        foreach (var route in options.Value.Routes)
        {
            // Options validation at start-up has already rejected malformed secrets.
            WebhookSigner.TryDecodeSecret(route.Secret, out var key);
            _routes[route.Kind] = (route, key);
        }
    }

    /// <summary>The kinds that have a route, for start-up logs and process listings.</summary>
    public IReadOnlyCollection<string> Kinds => _routes.Keys;

    public bool Serves(string kind) => _routes.ContainsKey(kind);

    /// <summary>The route's timeout, which bounds each delivery of its kind.</summary>
    public TimeSpan? DefaultTimeoutFor(string kind) => _routes[kind].Route.Timeout;

    public async Task<AttemptOutcome> DispatchAsync(JobContext job, CancellationToken cancellationToken)
    {
        var (route, key) = _routes[job.Kind];
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            id = job.Id,
            kind = job.Kind,
            queue = job.Queue,
            args = job.Args,
            attempt = job.Attempt,
            max_attempts = job.MaxAttempts,
            tags = job.Tags,
            created_at = job.CreatedAt,
        }, PayloadOptions);

        // The message id is the job's, so it stays the same across retries and a receiver can
        // use it to drop duplicate deliveries.
        var messageId = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"job_{job.Id}");
        var timestamp = _timeProvider.GetUtcNow().ToUnixTimeSeconds();

        using var request = new HttpRequestMessage(HttpMethod.Post, route.Url);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        foreach (var (name, value) in route.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.Add("webhook-id", messageId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSigner.Sign(key, messageId, timestamp, body));
        request.Headers.Add(AttemptHeader, job.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var client = _clients.CreateClient(HttpClientName);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var (text, truncated) = await ReadBoundedAsync(response.Content, cancellationToken);
            var status = (int)response.StatusCode;
            if (status is >= 200 and < 300)
            {
                return new AttemptOutcome.Succeeded(_results.FromBody(text, truncated));
            }

            return ResponsePolicy.Classify(
                status, response.ReasonPhrase, response.Headers, text, _timeProvider.GetUtcNow(), _maxRetryAfter);
        }
        catch (HttpRequestException exception) when (exception.InnerException is DestinationBlockedException blocked)
        {
            // Not retried: the address will not change into an allowed one by waiting.
            return new AttemptOutcome.Failed(new JobFailure("blocked_destination", blocked.Message), Retry: false);
        }
        catch (HttpRequestException exception)
        {
            return new AttemptOutcome.Failed(new JobFailure("http_error", $"The webhook could not be reached: {exception.Message}"));
        }
    }

    private async Task<(string Text, bool Truncated)> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[_maxResponseBytes + 1];
        var read = 0;
        while (read < buffer.Length)
        {
            var count = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (count == 0)
            {
                break;
            }

            read += count;
        }

        var truncated = read > _maxResponseBytes;
        return (Encoding.UTF8.GetString(buffer, 0, Math.Min(read, _maxResponseBytes)), truncated);
    }

}
