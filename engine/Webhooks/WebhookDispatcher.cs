using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using JobQueue.Contracts;
using JobQueue.Engine.Execution;
using JobQueue.Engine.Handlers;
using JobQueue.Engine.Options;
using JobQueue.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobQueue.Engine.Webhooks;

/// <summary>
/// Delivers jobs as signed POST requests. A 2xx response completes the attempt, with a JSON body
/// stored as the result; any other status, a redirect included, fails it. Redirects are not
/// followed, so a POST never turns into a GET on the way. The target of a job is, in this order:
/// its own <c>webhook_url</c>, the configured route of its kind, the API endpoint of its kind.
/// Every attempt that was sent is recorded in <c>jobqueue.job_attempts</c>.
/// </summary>
public sealed partial class WebhookDispatcher : IJobDispatcher
{
    /// <summary>Name of the <see cref="HttpClient"/> used for deliveries.</summary>
    public const string HttpClientName = "jobqueue-webhooks";

    /// <summary>Request header carrying the attempt number, starting at 1.</summary>
    public const string AttemptHeader = "jobqueue-attempt";

    /// <summary>Name of the <see cref="System.Diagnostics.ActivitySource"/> that traces deliveries.</summary>
    public const string ActivitySourceName = "JobQueue.Webhooks";

    private static readonly ActivitySource Tracing = new(ActivitySourceName);

    private static readonly JsonSerializerOptions PayloadOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>Kind of the internal jobs that deliver completion callbacks; their body is their args.</summary>
    public const string CallbackKind = "jobqueue.callback";

    private readonly IHttpClientFactory _clients;
    private readonly ResultSerializer _results;
    private readonly TimeProvider _timeProvider;
    private readonly EndpointCatalog _endpoints;
    private readonly WebhookEndpointStore _store;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly int _maxResponseBytes;
    private readonly TimeSpan _maxRetryAfter;
    private readonly JobUrlOptions _jobUrls;
    private readonly bool _allowHttp;
    private readonly IReadOnlyList<byte[]> _jobUrlKeys;
    private readonly Dictionary<string, RouteState> _routes = new(StringComparer.Ordinal);

    public WebhookDispatcher(
        IOptions<WebhookOptions> options,
        IHttpClientFactory clients,
        ResultSerializer results,
        TimeProvider timeProvider,
        EndpointCatalog endpoints,
        WebhookEndpointStore store,
        ILogger<WebhookDispatcher> logger)
    {
        _clients = clients;
        _results = results;
        _timeProvider = timeProvider;
        _endpoints = endpoints;
        _store = store;
        _logger = logger;
        _maxResponseBytes = options.Value.MaxResponseBytes;
        _maxRetryAfter = options.Value.MaxRetryAfter;
        _jobUrls = options.Value.JobUrls;
        _allowHttp = options.Value.AllowHttp;
        _jobUrlKeys = DecodeKeys(_jobUrls.Enabled ? _jobUrls.ToRoute("", "").AllSecrets : []);
        var routes = options.Value.Routes.ToList();
        if (options.Value.BatchCallbacks is { } callbacks)
        {
            // NOTE: every callback URL shares this route's circuit breaker, so a target that keeps
            // failing holds back the callbacks to other URLs for CircuitOpenDuration at a time.
            callbacks.Kind = Contracts.CreateBatchRequest.CallbackUrlKind;
            callbacks.Url = "";
            routes.Add(callbacks);
        }

        foreach (var route in routes)
        {
            var circuit = new RouteCircuit(route.CircuitFailureThreshold, route.CircuitOpenDuration, timeProvider);
            _routes[route.Kind] = new RouteState(route, DecodeKeys(route.AllSecrets), circuit, null);
        }
    }

    /// <summary>The kinds that have a configured route, for start-up logs and process listings.</summary>
    public IReadOnlyCollection<string> Kinds => _routes.Keys;

    public bool Serves(string kind) => _routes.ContainsKey(kind) || _endpoints.Serves(kind);

    /// <summary>Serves every job with its own <c>webhook_url</c>, whatever its kind, and the kinds it has a target for.</summary>
    public bool Serves(Job job) => job.WebhookUrl is not null || Serves(job.Kind);

    /// <summary>The route's or endpoint's timeout, which bounds each delivery of its kind.</summary>
    public TimeSpan? DefaultTimeoutFor(string kind) =>
        _routes.TryGetValue(kind, out var route) ? route.Route.Timeout : _endpoints.Find(kind)?.Route.Timeout;

    public TimeSpan? DefaultTimeoutFor(Job job) => job.WebhookUrl is not null ? _jobUrls.Timeout : DefaultTimeoutFor(job.Kind);

    /// <summary>The circuit breaker of the route for <paramref name="kind"/>, for tests and diagnostics.</summary>
    public RouteCircuit CircuitFor(string kind) => _routes[kind].Circuit;

    public async Task<AttemptOutcome> DispatchAsync(JobContext job, CancellationToken cancellationToken)
    {
        var (state, refusal) = Resolve(job);
        if (state is null)
        {
            return refusal!;
        }

        if (state.Circuit.TryEnter() is { } openFor)
        {
            DeliveryMetrics.Record(job.Kind, "circuit_open", null, TimeSpan.Zero);
            // The target was not called, so the attempt is not counted: an outage of the target
            // must not use up the attempts of every job queued for it.
            return new AttemptOutcome.Released(
                new JobFailure("circuit_open", string.Create(CultureInfo.InvariantCulture,
                    $"The webhook route for '{job.Kind}' is paused after {state.Route.CircuitFailureThreshold} " +
                    $"consecutive failures; the target was not called and the attempt is not counted. " +
                    $"Retrying in {openFor.TotalSeconds:0.###} s.")),
                openFor);
        }

        var startedAt = _timeProvider.GetTimestamp();
        var observation = new AttemptObservation(_timeProvider.GetUtcNow());
        using var activity = StartActivity(job);
        try
        {
            var outcome = await DeliverAsync(job, state, activity, observation, cancellationToken);
            outcome = ApplyEndpointPolicy(job, state, outcome);
            RecordInCircuit(state.Circuit, outcome);
            DeliveryMetrics.Record(job.Kind, outcome, _timeProvider.GetElapsedTime(startedAt));
            if (outcome is AttemptOutcome.Failed failed)
            {
                activity.SetStatus(ActivityStatusCode.Error, failed.Failure.Reason);
                observation.Error = failed.Failure.Message;
                if (failed.Failure.Reason == ResponsePolicy.GoneReason && state.Endpoint is { } endpoint)
                {
                    await DisableGoneEndpointAsync(endpoint, job.Id);
                }
            }

            await RecordAttemptAsync(job, state, observation, _timeProvider.GetElapsedTime(startedAt));
            return outcome;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller stopped the attempt for a timeout, a cancel request or shutdown. Only a
            // timeout tells about the target's health, and only a timed-out attempt ran its full time.
            var elapsed = _timeProvider.GetElapsedTime(startedAt);
            if (elapsed >= EffectiveTimeout(job, state.Route))
            {
                state.Circuit.RecordFailure();
                DeliveryMetrics.Record(job.Kind, "timeout", null, elapsed);
            }
            else
            {
                state.Circuit.RecordNeither();
                DeliveryMetrics.Record(job.Kind, "stopped", null, elapsed);
            }

            observation.Error = "The attempt was stopped before the delivery finished: it timed out, was cancelled, " +
                "or the worker shut down.";
            await RecordAttemptAsync(job, state, observation, elapsed);
            throw;
        }
        catch
        {
            state.Circuit.RecordNeither();
            throw;
        }
    }

    private async Task<AttemptOutcome> DeliverAsync(
        JobContext job, RouteState state, Activity activity, AttemptObservation observation, CancellationToken cancellationToken)
    {
        var route = state.Route;
        if (ResolveUrl(job, route) is not { } url)
        {
            return new AttemptOutcome.Failed(new JobFailure("blocked_destination",
                "The job's args.url is missing or not an absolute http or https URL, or it uses http while " +
                "Webhooks:AllowHttp is off."), Retry: false);
        }

        // A completion callback reports another job's final state, snapshotted into its args
        // when that state was stored, so the args are the whole body.
        var body = job.Kind == CallbackKind && job.Job.WebhookUrl is not null
            ? JsonSerializer.SerializeToUtf8Bytes(job.Args, PayloadOptions)
            : JsonSerializer.SerializeToUtf8Bytes(new
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
        var messageId = string.Create(CultureInfo.InvariantCulture, $"job_{job.Id}");
        var timestamp = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        activity.SetTag("messaging.message.id", messageId);

        using var request = new HttpRequestMessage(HttpMethod.Post, url);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        foreach (var (name, value) in route.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.Add("webhook-id", messageId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSigner.Sign(state.Keys, messageId, timestamp, body));
        request.Headers.Add(AttemptHeader, job.Attempt.ToString(CultureInfo.InvariantCulture));
        AddTraceContext(request, activity);
        request.Options.Set(DestinationGuard.ConnectTimeoutOption, route.ConnectTimeout);

        return await SendAsync(request, route, observation, cancellationToken);
    }

    /// <summary>
    /// The route's URL, or for a route without one (batch callbacks) the job's <c>args.url</c>,
    /// which must be absolute http or https, http only with <c>Webhooks:AllowHttp</c>. The address
    /// is checked by <see cref="DestinationGuard"/> when the connection opens, like any route's.
    /// </summary>
    private Uri? ResolveUrl(JobContext job, WebhookRoute route)
    {
        if (route.Url.Length > 0)
        {
            return new Uri(route.Url);
        }

        if (job.Args.ValueKind != JsonValueKind.Object
            || !job.Args.TryGetProperty("url", out var value)
            || value.ValueKind != JsonValueKind.String
            || !Uri.TryCreate(value.GetString(), UriKind.Absolute, out var url))
        {
            return null;
        }

        return url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && _allowHttp) ? url : null;
    }

    private static Activity StartActivity(JobContext job)
    {
        var name = $"send webhook {job.Kind}";

        // StartActivity returns null when nothing listens to the source. The delivery still needs
        // an activity of its own so that a traceparent is sent, so one is started by hand then.
        var activity = Tracing.StartActivity(name, ActivityKind.Producer);
        if (activity is null)
        {
            activity = new Activity(name);
            activity.SetIdFormat(ActivityIdFormat.W3C);
            activity.Start();
        }

        activity.SetTag("messaging.system", "jobqueue");
        activity.SetTag("messaging.operation.type", "send");
        activity.SetTag("messaging.destination.name", job.Kind);
        return activity;
    }

    private static void AddTraceContext(HttpRequestMessage request, Activity activity)
    {
        if (activity.IdFormat != ActivityIdFormat.W3C || activity.Id is null)
        {
            return;
        }

        request.Headers.TryAddWithoutValidation("traceparent", activity.Id);
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            request.Headers.TryAddWithoutValidation("tracestate", activity.TraceStateString);
        }
    }

    /// <summary>
    /// Feeds an outcome to the circuit: connection errors, timeouts and 5xx responses are
    /// failures. Any other response shows that the target is up. A blocked destination never
    /// reached the target, so it counts as neither.
    /// </summary>
    private static void RecordInCircuit(RouteCircuit circuit, AttemptOutcome outcome)
    {
        switch (outcome)
        {
            case AttemptOutcome.Failed { Failure.Reason: "timeout" or "http_error" }:
            case AttemptOutcome.Failed { Failure: { Reason: "http_status", StatusCode: >= 500 } }:
                circuit.RecordFailure();
                break;
            case AttemptOutcome.Failed { Failure.Reason: "blocked_destination" }:
                circuit.RecordNeither();
                break;
            default:
                circuit.RecordSuccess();
                break;
        }
    }

    private static TimeSpan EffectiveTimeout(JobContext job, WebhookRoute route) =>
        job.Job.TimeoutSeconds is { } seconds && TimeSpan.FromSeconds(seconds) < route.Timeout
            ? TimeSpan.FromSeconds(seconds)
            : route.Timeout;

    private static List<byte[]> DecodeKeys(IEnumerable<string> secrets)
    {
        // Options validation at start-up has already rejected malformed secrets.
        var keys = new List<byte[]>();
        foreach (var secret in secrets)
        {
            WebhookSigner.TryDecodeSecret(secret, out var key);
            keys.Add(key);
        }

        return keys;
    }

    /// <summary>A delivery target: the route to send to, its signing keys, its circuit, and the API endpoint behind it if any.</summary>
    private sealed record RouteState(WebhookRoute Route, IReadOnlyList<byte[]> Keys, RouteCircuit Circuit, ApiEndpoint? Endpoint);
}
