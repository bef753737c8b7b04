namespace JobQueue.Contracts;

/// <summary>
/// Values of the <c>type</c> member of the API's <c>application/problem+json</c> responses.
/// Each value is stable across releases, so callers may branch on it.
/// </summary>
public static class ProblemTypes
{
    /// <summary>400: the body or a parameter is invalid; <c>errors</c> names each bad field.</summary>
    public const string ValidationFailed = "urn:jobqueue:problem:validation-failed";

    /// <summary>400: the body is not well-formed JSON or a value has the wrong JSON type.</summary>
    public const string MalformedRequest = "urn:jobqueue:problem:malformed-request";

    /// <summary>404: no job, queue or route matches.</summary>
    public const string NotFound = "urn:jobqueue:problem:not-found";

    /// <summary>409: the job's state does not allow the action, for example retrying a running job.</summary>
    public const string InvalidState = "urn:jobqueue:problem:invalid-state";

    /// <summary>409: another webhook endpoint already serves one of the kinds; <c>detail</c> names it.</summary>
    public const string EndpointKindTaken = "urn:jobqueue:problem:endpoint-kind-taken";

    /// <summary>
    /// 409: a request with the same <c>Idempotency-Key</c> is still in flight; retry after the
    /// <c>Retry-After</c> header to get its response.
    /// </summary>
    public const string IdempotencyKeyInFlight = "urn:jobqueue:problem:idempotency-key-in-flight";

    /// <summary>422: the <c>Idempotency-Key</c> was already used with a different request body.</summary>
    public const string IdempotencyKeyReused = "urn:jobqueue:problem:idempotency-key-reused";

    /// <summary>413: the request body is larger than the configured limit.</summary>
    public const string PayloadTooLarge = "urn:jobqueue:problem:payload-too-large";

    /// <summary>415: the request body is not <c>application/json</c>.</summary>
    public const string UnsupportedMediaType = "urn:jobqueue:problem:unsupported-media-type";

    /// <summary>405: the route exists but not for this HTTP method.</summary>
    public const string MethodNotAllowed = "urn:jobqueue:problem:method-not-allowed";

    /// <summary>
    /// 401: the request has no API key, or its key is malformed, unknown, revoked or expired.
    /// The response carries <c>WWW-Authenticate: Bearer</c>.
    /// </summary>
    public const string Unauthorized = "urn:jobqueue:problem:unauthorized";

    /// <summary>403: the API key lacks the scope the route needs, or is limited to other queues.</summary>
    public const string Forbidden = "urn:jobqueue:problem:forbidden";

    /// <summary>429: the API key sent more requests than its rate limit; retry after the <c>Retry-After</c> header.</summary>
    public const string RateLimited = "urn:jobqueue:problem:rate-limited";

    /// <summary>503: the database cannot be reached; the request changed nothing and may be retried.</summary>
    public const string Unavailable = "urn:jobqueue:problem:unavailable";

    /// <summary>500: a defect in the service; the response carries a trace id for the logs.</summary>
    public const string Internal = "urn:jobqueue:problem:internal";
}
