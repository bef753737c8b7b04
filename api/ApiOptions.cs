using Microsoft.Extensions.Options;

namespace JobQueue.Api;

/// <summary>Settings of the HTTP API, bound from the <c>Api</c> configuration section.</summary>
public sealed class ApiOptions
{
    /// <summary>Configuration section, so environment variables read <c>Api__MaxPageSize</c> and so on.</summary>
    public const string SectionName = "Api";

    public const int DefaultMaxAttemptsDefault = 20;
    public const int MaxArgsBytesDefault = 256 * 1024;
    public const long MaxRequestBodyBytesDefault = 8 * 1024 * 1024;
    public const int DefaultPageSizeDefault = 50;
    public const int MaxPageSizeDefault = 500;

    public static readonly TimeSpan IdempotencyKeyTtlDefault = TimeSpan.FromHours(24);
    public static readonly TimeSpan IdempotencyInFlightTimeoutDefault = TimeSpan.FromSeconds(60);

    /// <summary>Upper bound of <see cref="DefaultMaxAttempts"/>; the same bound applies to <c>max_attempts</c> in requests.</summary>
    public const int MaxAttemptsLimit = 1000;

    /// <summary>Attempts a job gets when its request omits <c>max_attempts</c>. Default 20, range 1 to 1000.</summary>
    public int DefaultMaxAttempts { get; set; } = DefaultMaxAttemptsDefault;

    /// <summary>
    /// Largest <c>args</c> of one job, in bytes of compact UTF-8 JSON. A larger value is a 400
    /// validation failure naming the field (not a 413), so the response to a batch names the job whose args are too large.
    /// Default 256 KiB; must not exceed <see cref="MaxRequestBodyBytes"/>.
    /// </summary>
    public int MaxArgsBytes { get; set; } = MaxArgsBytesDefault;

    /// <summary>
    /// Largest request body in bytes; a larger body gets a 413 response. Default 8 MiB, which fits a
    /// batch of 1000 jobs with a few KiB of arguments each.
    /// </summary>
    public long MaxRequestBodyBytes { get; set; } = MaxRequestBodyBytesDefault;

    /// <summary>Jobs per page of <c>GET /v1/jobs</c> when the request omits <c>page_size</c>. Default 50.</summary>
    public int DefaultPageSize { get; set; } = DefaultPageSizeDefault;

    /// <summary>Largest <c>page_size</c> a request may ask for. Default 500.</summary>
    public int MaxPageSize { get; set; } = MaxPageSizeDefault;

    /// <summary>
    /// How long the response to an enqueue request with an <c>Idempotency-Key</c> header is kept
    /// for replay, from the first request. A key used after this is new again. Default 24 hours,
    /// range one minute to 30 days.
    /// </summary>
    public TimeSpan IdempotencyKeyTtl { get; set; } = IdempotencyKeyTtlDefault;

    /// <summary>
    /// Age after which the in-flight marker of a request with an <c>Idempotency-Key</c> that never
    /// finished (its API process died) may be taken over by a request with the same key and body.
    /// Until then such requests get 409. Default 60 seconds, range one second to one hour.
    /// </summary>
    public TimeSpan IdempotencyInFlightTimeout { get; set; } = IdempotencyInFlightTimeoutDefault;

    /// <summary>
    /// Where jobs run. <c>external</c> (the default): in separate worker processes. <c>async</c>:
    /// this API process also runs a worker, configured by the same <c>Worker</c> and
    /// <c>Webhooks</c> settings as the worker host, which suits small deployments. <c>inline</c>:
    /// an enqueue request runs the first attempt of each due job before it responds, so the
    /// response shows the outcome. No background worker runs, so retries and scheduled jobs wait
    /// for a worker host. Meant for tests.
    /// </summary>
    public ExecutionMode ExecutionMode { get; set; } = ExecutionMode.External;

    /// <summary>
    /// Limits that apply to every job of a kind whose request sets none of its own, for example
    /// <c>Api__KindLimits__0__Kind=email.send</c> with <c>Api__KindLimits__0__Concurrency=5</c>. The
    /// limit key of such a job is <c>kind:</c> followed by the kind.
    /// </summary>
    public List<KindLimit> KindLimits { get; set; } = [];

    /// <summary>
    /// How long the previous signing secret of a webhook endpoint stays valid after a rotation:
    /// deliveries carry a signature with each secret until then. Default 24 hours, range one
    /// minute to 30 days.
    /// </summary>
    public TimeSpan EndpointSecretRotationWindow { get; set; } = EndpointSecretRotationWindowDefault;

    public static readonly TimeSpan EndpointSecretRotationWindowDefault = TimeSpan.FromHours(24);

    /// <summary>
    /// Rules for delivery URLs in requests. Read from the <c>Webhooks</c> section rather than
    /// <c>Api</c>, because workers apply the same settings.
    /// </summary>
    internal Jobs.JobUrlPolicy UrlPolicy { get; set; } = Jobs.JobUrlPolicy.Default;
}

/// <summary>Default concurrency and rate limits of one job kind.</summary>
public sealed class KindLimit
{
    public string Kind { get; set; } = "";

    /// <summary>Most jobs of the kind running at once across all workers; null for no limit.</summary>
    public int? Concurrency { get; set; }

    /// <summary>Most starts of jobs of the kind per <see cref="RatePeriod"/>; null for no limit.</summary>
    public int? RateLimit { get; set; }

    /// <summary>Sliding period of <see cref="RateLimit"/>, up to one day.</summary>
    public TimeSpan RatePeriod { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Where the API host's jobs run; see <see cref="ApiOptions.ExecutionMode"/>.</summary>
public enum ExecutionMode
{
    External,
    Async,
    Inline,
}

/// <summary>Checks <see cref="ApiOptions"/> at start-up, naming each bad setting by its configuration key.</summary>
public sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var failures = new List<string>();
        const string Prefix = ApiOptions.SectionName + ":";
        if (options.DefaultMaxAttempts is < 1 or > ApiOptions.MaxAttemptsLimit)
        {
            failures.Add($"{Prefix}DefaultMaxAttempts is {options.DefaultMaxAttempts}; it must be between 1 and {ApiOptions.MaxAttemptsLimit}.");
        }

        if (options.MaxRequestBodyBytes < 1024)
        {
            failures.Add($"{Prefix}MaxRequestBodyBytes is {options.MaxRequestBodyBytes}; it must be at least 1024 bytes.");
        }

        if (options.MaxArgsBytes < 2 || options.MaxArgsBytes > options.MaxRequestBodyBytes)
        {
            failures.Add($"{Prefix}MaxArgsBytes is {options.MaxArgsBytes}; it must be between 2 bytes and " +
                $"{Prefix}MaxRequestBodyBytes ({options.MaxRequestBodyBytes}).");
        }

        if (options.MaxPageSize < 1)
        {
            failures.Add($"{Prefix}MaxPageSize is {options.MaxPageSize}; it must be at least 1.");
        }

        if (options.DefaultPageSize < 1 || options.DefaultPageSize > options.MaxPageSize)
        {
            failures.Add($"{Prefix}DefaultPageSize is {options.DefaultPageSize}; it must be between 1 and " +
                $"{Prefix}MaxPageSize ({options.MaxPageSize}).");
        }

        if (options.IdempotencyKeyTtl < TimeSpan.FromMinutes(1) || options.IdempotencyKeyTtl > TimeSpan.FromDays(30))
        {
            failures.Add($"{Prefix}IdempotencyKeyTtl is {options.IdempotencyKeyTtl}; it must be between 00:01:00 and 30.00:00:00.");
        }

        if (options.IdempotencyInFlightTimeout < TimeSpan.FromSeconds(1) || options.IdempotencyInFlightTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"{Prefix}IdempotencyInFlightTimeout is {options.IdempotencyInFlightTimeout}; " +
                "it must be between 00:00:01 and 01:00:00.");
        }

        if (options.EndpointSecretRotationWindow < TimeSpan.FromMinutes(1) || options.EndpointSecretRotationWindow > TimeSpan.FromDays(30))
        {
            failures.Add($"{Prefix}EndpointSecretRotationWindow is {options.EndpointSecretRotationWindow}; " +
                "it must be between 00:01:00 and 30.00:00:00.");
        }

        for (var i = 0; i < options.KindLimits.Count; i++)
        {
            var limit = options.KindLimits[i];
            var key = $"{Prefix}KindLimits:{i}";
            if (string.IsNullOrWhiteSpace(limit.Kind))
            {
                failures.Add($"{key}:Kind is missing.");
            }

            if (limit.Concurrency is < 1 || limit.RateLimit is < 1)
            {
                failures.Add($"{key}:Concurrency and {key}:RateLimit must be at least 1 when set.");
            }

            if (limit.RatePeriod <= TimeSpan.Zero || limit.RatePeriod > TimeSpan.FromDays(1))
            {
                failures.Add($"{key}:RatePeriod is {limit.RatePeriod}; it must be above zero and at most one day.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
