using System.Globalization;
using JobQueue.Engine.Execution;
using JobQueue.Engine.Handlers;
using JobQueue.Engine.Options;
using JobQueue.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobQueue.Engine.Webhooks;

/// <summary>
/// Choosing a delivery's target, applying an API endpoint's retry policy, disabling an endpoint
/// that answered 410 Gone, and recording each attempt.
/// </summary>
public sealed partial class WebhookDispatcher
{
    /// <summary>Characters of a response body kept in an attempt record.</summary>
    public const int MaxRecordedBodyChars = 1024;

    /// <summary>Characters of each selected response header kept in an attempt record.</summary>
    public const int MaxRecordedHeaderChars = 256;

    /// <summary>Response headers kept in an attempt record; others are left out.</summary>
    public static readonly IReadOnlyList<string> RecordedHeaders =
        ["content-type", "content-length", "location", "retry-after", "x-request-id"];

    private static readonly TimeSpan RecordTimeout = TimeSpan.FromSeconds(5);

    // Returns the target, or the outcome to store when there is none to send to.
    private (RouteState? State, AttemptOutcome? Refusal) Resolve(JobContext job)
    {
        if (job.Job.WebhookUrl is { } url)
        {
            if (!_jobUrls.Enabled)
            {
                return (null, new AttemptOutcome.Failed(new JobFailure("webhook_url_not_allowed",
                    $"Job {job.Id} names its own webhook URL, but this worker does not deliver to per-job URLs. " +
                    "Set Webhooks:JobUrls:Enabled and Webhooks:JobUrls:Secret on the worker."), Retry: false));
            }

            if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http") ||
                (parsed.Scheme == "http" && !_allowHttp))
            {
                return (null, new AttemptOutcome.Failed(new JobFailure("webhook_url_not_allowed",
                    $"Job {job.Id} names a webhook URL that is not an absolute https URL (http needs Webhooks:AllowHttp)."),
                    Retry: false));
            }

            // Each per-job URL gets a circuit of its own for this one delivery, so it never opens:
            // one job's broken URL must not hold back the deliveries of others.
            var circuit = new RouteCircuit(WebhookRoute.MaxCircuitFailureThreshold, WebhookRoute.DefaultCircuitOpenDuration, _timeProvider);
            return (new RouteState(_jobUrls.ToRoute(job.Kind, url), _jobUrlKeys, circuit, null), null);
        }

        if (_routes.TryGetValue(job.Kind, out var route))
        {
            return (route, null);
        }

        if (_endpoints.Find(job.Kind) is not { } endpoint)
        {
            // The endpoint was deleted after the runner picked this dispatcher.
            return (null, new AttemptOutcome.Failed(new JobFailure("no_handler",
                $"No webhook route or endpoint serves kind '{job.Kind}' any more.")));
        }

        if (!endpoint.Enabled)
        {
            // Retried with backoff, so that enabling the endpoint again resumes its jobs, and
            // discarded once the attempts run out.
            return (null, new AttemptOutcome.Failed(new JobFailure("endpoint_disabled",
                $"The webhook endpoint {endpoint.Id} for kind '{job.Kind}' is disabled: {endpoint.DisabledReason} " +
                $"Enable it with PUT /v1/endpoints/{endpoint.Id} and \"enabled\": true.")));
        }

        return (new RouteState(endpoint.Route, endpoint.Keys, endpoint.Circuit, endpoint), null);
    }

    // An API endpoint may retry some 4xx statuses and may allow fewer attempts than the job.
    private static AttemptOutcome ApplyEndpointPolicy(JobContext job, RouteState state, AttemptOutcome outcome)
    {
        if (state.Endpoint is not { } endpoint || outcome is not AttemptOutcome.Failed failed)
        {
            return outcome;
        }

        if (!failed.Retry && failed.Failure is { Reason: "http_status", StatusCode: { } status } && endpoint.RetryStatuses.Contains(status))
        {
            failed = failed with { Retry = true };
        }

        if (failed.Retry && endpoint.MaxAttempts is { } max && job.Attempt >= max)
        {
            failed = failed with
            {
                Retry = false,
                Failure = failed.Failure with
                {
                    Message = string.Create(CultureInfo.InvariantCulture,
                        $"{failed.Failure.Message} Not retried, because endpoint {endpoint.Id} allows {max} attempts."),
                },
            };
        }

        return failed;
    }

    private async Task DisableGoneEndpointAsync(ApiEndpoint endpoint, long jobId)
    {
        var reason = string.Create(CultureInfo.InvariantCulture,
            $"The endpoint answered 410 Gone to job {jobId} at {_timeProvider.GetUtcNow():O}.");
        _endpoints.MarkDisabled(endpoint.Id, reason);
        try
        {
            using var timeout = new CancellationTokenSource(RecordTimeout, _timeProvider);
            if (await _store.DisableAsync(endpoint.Id, reason, timeout.Token))
            {
                LogEndpointGone(endpoint.Id, jobId);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // This worker stops delivering to it anyway; the next 410 another worker gets disables it.
            LogDisableFailed(exception, endpoint.Id);
        }
        finally
        {
            _endpoints.DisableStored(endpoint.Id);
        }
    }

    private async Task RecordAttemptAsync(JobContext job, RouteState state, AttemptObservation observation, TimeSpan latency)
    {
        var url = Uri.TryCreate(state.Route.Url, UriKind.Absolute, out var parsed)
            ? parsed.GetLeftPart(UriPartial.Path)
            : state.Route.Url;
        var record = new AttemptRecord(job.Id, job.Attempt, observation.StartedAt, latency.TotalMilliseconds, url,
            state.Endpoint?.Id, observation.StatusCode, observation.Headers, observation.Body, observation.Error);
        try
        {
            // Not the attempt's token: a timed-out or cancelled attempt is recorded too.
            using var timeout = new CancellationTokenSource(RecordTimeout, _timeProvider);
            await _store.RecordAttemptAsync(record, timeout.Token);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // The outcome is stored all the same; only the detail of this attempt is lost.
            LogRecordFailed(exception, job.Id, job.Attempt);
        }
    }

    [LoggerMessage(EventId = 3611, Level = LogLevel.Warning,
        Message = "Webhook endpoint {EndpointId} answered 410 Gone to job {JobId}; the endpoint is disabled")]
    private partial void LogEndpointGone(long endpointId, long jobId);

    [LoggerMessage(EventId = 3612, Level = LogLevel.Error,
        Message = "Disabling webhook endpoint {EndpointId} after 410 Gone failed; this worker stops delivering to it until it reloads the endpoints")]
    private partial void LogDisableFailed(Exception exception, long endpointId);

    [LoggerMessage(EventId = 3613, Level = LogLevel.Warning,
        Message = "Recording webhook attempt {Attempt} of job {JobId} failed; the attempt's outcome is stored without it")]
    private partial void LogRecordFailed(Exception exception, long jobId, int attempt);

    /// <summary>What one delivery got back, filled in while it is sent and read.</summary>
    private sealed class AttemptObservation(DateTimeOffset startedAt)
    {
        public DateTimeOffset StartedAt { get; } = startedAt;

        public int? StatusCode { get; set; }

        public Dictionary<string, string> Headers { get; } = new(StringComparer.Ordinal);

        public string? Body { get; set; }

        public string? Error { get; set; }

        public void SetResponse(HttpResponseMessage response)
        {
            StatusCode = (int)response.StatusCode;
            foreach (var name in RecordedHeaders)
            {
                if (response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values))
                {
                    var value = string.Join(", ", values);
                    Headers[name] = value.Length <= MaxRecordedHeaderChars ? value : value[..MaxRecordedHeaderChars];
                }
            }
        }

        public void SetBody(string text) =>
            Body = text.Length <= MaxRecordedBodyChars ? text : text[..MaxRecordedBodyChars];
    }
}
