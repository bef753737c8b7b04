using System.Globalization;
using JobQueue.Contracts;
using JobQueue.Engine.Options;
using JobQueue.Storage;

namespace JobQueue.Api.WebhookEndpoints;

/// <summary>Converts endpoint requests to storage units and stored endpoints to wire types, leaving the secrets out.</summary>
internal static class WebhookEndpointMapping
{
    /// <summary>
    /// Why the endpoint's URL breaks this host's URL policy (scheme, user info, blocked
    /// addresses), or null when it is allowed.
    /// </summary>
    public static string? UrlProblem(HttpContext context, WebhookEndpointRequest request) =>
        context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<ApiOptions>>().Value
            .UrlPolicy.CheckUrl(request.Url, "url");

    /// <summary>Rate-limit period when a request sets a limit but no period: one second.</summary>
    public const double DefaultRatePeriodSeconds = 1;

    public static string Path(long id) => "/v1/endpoints/" + id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Converts a request that passed <see cref="WebhookEndpointValidator"/>, with defaults for omitted members.</summary>
    public static EndpointSettings ToSettings(WebhookEndpointRequest request) => new(
        Url: request.Url,
        Kinds: request.Kinds,
        Headers: request.Headers ?? new Dictionary<string, string>(),
        TimeoutMs: Milliseconds(request.TimeoutSeconds) ?? (int)WebhookRoute.DefaultTimeout.TotalMilliseconds,
        ConnectTimeoutMs: Milliseconds(request.ConnectTimeoutSeconds) ?? (int)WebhookRoute.DefaultConnectTimeout.TotalMilliseconds,
        ResponseHeadersTimeoutMs: Milliseconds(request.ResponseHeadersTimeoutSeconds),
        BodyReadTimeoutMs: Milliseconds(request.BodyReadTimeoutSeconds) ?? (int)WebhookRoute.DefaultBodyReadTimeout.TotalMilliseconds,
        MaxAttempts: request.MaxAttempts,
        RetryStatuses: request.RetryStatuses?.Distinct().Order().ToList() ?? [],
        ConcurrencyLimit: request.ConcurrencyLimit,
        RateLimit: request.RateLimit,
        RateLimitPeriodMs: Milliseconds(request.RateLimitPeriodSeconds) ?? (int)(DefaultRatePeriodSeconds * 1000),
        Enabled: request.Enabled ?? true);

    public static WebhookEndpoint ToWire(WebhookEndpointRow row) => Fill(new WebhookEndpoint(), row);

    public static WebhookEndpointWithSecret ToWireWithSecret(WebhookEndpointRow row) =>
        (WebhookEndpointWithSecret)Fill(new WebhookEndpointWithSecret { Secret = row.Secret }, row);

    // A record's 'with' copies the runtime type, so an endpoint with a secret stays one.
    private static WebhookEndpoint Fill(WebhookEndpoint empty, WebhookEndpointRow row) => empty with
    {
        Id = row.Id,
        Url = row.Url,
        Kinds = row.Kinds,
        Headers = row.Headers,
        TimeoutSeconds = row.TimeoutMs / 1000.0,
        ConnectTimeoutSeconds = row.ConnectTimeoutMs / 1000.0,
        ResponseHeadersTimeoutSeconds = row.ResponseHeadersTimeoutMs / 1000.0,
        BodyReadTimeoutSeconds = row.BodyReadTimeoutMs / 1000.0,
        MaxAttempts = row.MaxAttempts,
        RetryStatuses = row.RetryStatuses,
        ConcurrencyLimit = row.ConcurrencyLimit,
        RateLimit = row.RateLimit,
        RateLimitPeriodSeconds = row.RateLimitPeriodMs / 1000.0,
        Enabled = row.Enabled,
        DisabledReason = row.DisabledReason,
        DisabledAt = row.DisabledAt,
        SecretRotatedAt = row.SecretRotatedAt,
        PreviousSecretExpiresAt = row.PreviousSecretExpiresAt,
        CreatedAt = row.CreatedAt,
        UpdatedAt = row.UpdatedAt,
    };

    // Rounded up, so a timeout above 0 s never becomes 0 ms.
    private static int? Milliseconds(double? seconds) => seconds is { } value ? (int)Math.Ceiling(value * 1000) : null;
}

/// <summary>Log messages of the endpoint API; event ids 2600–2619. Secrets are never logged.</summary>
internal static partial class EndpointLog
{
    [LoggerMessage(EventId = 2601, Level = LogLevel.Information, Message = "Created webhook endpoint {EndpointId} for kinds {Kinds}")]
    public static partial void Created(ILogger logger, long endpointId, IReadOnlyList<string> kinds);

    [LoggerMessage(EventId = 2602, Level = LogLevel.Information, Message = "Replaced webhook endpoint {EndpointId}; enabled {Enabled}")]
    public static partial void Replaced(ILogger logger, long endpointId, bool enabled);

    [LoggerMessage(EventId = 2603, Level = LogLevel.Information, Message = "Deleted webhook endpoint {EndpointId}")]
    public static partial void Deleted(ILogger logger, long endpointId);

    [LoggerMessage(EventId = 2604, Level = LogLevel.Information,
        Message = "Rotated the signing secret of webhook endpoint {EndpointId}; the previous one is valid until {PreviousValidUntil:O}")]
    public static partial void SecretRotated(ILogger logger, long endpointId, DateTimeOffset? previousValidUntil);
}

/// <summary>Route values of the endpoints under <c>/v1/endpoints/{id}</c>.</summary>
public sealed class EndpointIdRequest
{
    /// <summary>Endpoint id, as returned by create.</summary>
    public long Id { get; set; }
}
