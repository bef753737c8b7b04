using System.Globalization;
using System.Net.Http.Headers;
using JobQueue.Engine.Execution;
using JobQueue.Storage;

namespace JobQueue.Engine.Webhooks;

/// <summary>
/// Turns a webhook response that is not 2xx into a failed attempt:
/// <list type="bullet">
/// <item>429 and 503 are retried after their <c>Retry-After</c> (seconds or an HTTP date), capped;
/// without the header they back off as usual.</item>
/// <item>408, 425, other 5xx and 3xx are retried with backoff. A redirect is never followed, and the
/// error names its <c>Location</c>.</item>
/// <item>410 Gone and every other 4xx discard the job at once: the request itself is wrong, so
/// sending it again would fail the same way.</item>
/// </list>
/// </summary>
public static class ResponsePolicy
{
    /// <summary>Failure reason of a 410 Gone answer: the target is gone for good.</summary>
    public const string GoneReason = "gone";

    private const int ErrorBodyPrefixLength = 512;

    public static AttemptOutcome.Failed Classify(
        int status, string? reason, HttpResponseHeaders headers, string body, DateTimeOffset now, TimeSpan maxRetryAfter)
    {
        var prefix = body.Length <= ErrorBodyPrefixLength ? body : body[..ErrorBodyPrefixLength] + "…";
        if (status is >= 300 and < 400)
        {
            return Failure(status, $"The webhook answered {status} with a redirect to '{headers.Location}', which is not followed.");
        }

        if (status is 429 or 503)
        {
            var retryAfter = ReadRetryAfter(headers.RetryAfter, now);
            var capped = retryAfter is { } wait && wait > maxRetryAfter ? maxRetryAfter : retryAfter;
            var when = capped is { } delay ? $"; retrying after {delay.TotalSeconds:0.###} s as Retry-After asks" : "";
            return Failure(status, $"The webhook answered {status} {reason}{when}: {prefix}", retry: true, capped);
        }

        if (status == 410)
        {
            return new AttemptOutcome.Failed(
                new JobFailure(GoneReason, $"The webhook answered 410 {reason}: the target is gone, so the job is " +
                    $"not retried: {prefix}", status),
                Retry: false);
        }

        var retry = status is 408 or 425 or >= 500;
        var outcome = retry ? "" : "; not retried, because sending the same request again would fail the same way";
        return Failure(status, $"The webhook answered {status} {reason}{outcome}: {prefix}", retry);
    }

    /// <summary>Reads <c>Retry-After</c> as a delay; null when absent or in the past.</summary>
    public static TimeSpan? ReadRetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date && date > now)
        {
            return date - now;
        }

        return null;
    }

    private static AttemptOutcome.Failed Failure(int status, string message, bool retry = true, TimeSpan? retryAfter = null) =>
        new(new JobFailure("http_status", string.Create(CultureInfo.InvariantCulture, $"{message}"), status), retry, retryAfter);
}
