using FastEndpoints;
using FluentValidation;
using JobQueue.Api.Jobs;
using JobQueue.Contracts;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.WebhookEndpoints;

/// <summary>Rules for the body of a create or replace of a webhook endpoint. Field names are the wire names.</summary>
public sealed class WebhookEndpointValidator : Validator<WebhookEndpointRequest>
{
    public const int MaxKinds = 100;
    public const int MaxHeaders = 32;
    public const int MaxHeaderNameLength = 128;
    public const int MaxHeaderValueLength = 4096;
    public const int MaxRetryStatuses = 100;

    /// <summary>Longest of each timeout: one hour, in seconds.</summary>
    public const double MaxTimeoutSeconds = 3600;

    /// <summary>
    /// Request headers a delivery sets itself, which an endpoint may not set: the signature and
    /// trace headers, and those that describe the body or the connection.
    /// </summary>
    public static readonly IReadOnlySet<string> ReservedHeaders = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "content-type", "content-length", "content-encoding", "transfer-encoding", "connection", "host", "te", "upgrade",
        "traceparent", "tracestate", "webhook-id", "webhook-timestamp", "webhook-signature", "jobqueue-attempt",
    };

    // The URL is checked against the host's URL policy by the endpoints, with the request's own
    // services: a validator is built once and may outlive the host whose options it would read.
    public WebhookEndpointValidator()
    {
        RuleFor(endpoint => endpoint.Kinds)
            .Must(kinds => kinds.Count is >= 1 and <= MaxKinds).WithMessage($"kinds must list 1 to {MaxKinds} job kinds.")
            .Must(kinds => kinds.Distinct(StringComparer.Ordinal).Count() == kinds.Count).WithMessage("kinds lists a kind twice.");

        RuleForEach(endpoint => endpoint.Kinds)
            .Must(kind => kind is { Length: > 0 and <= JobRequestRules.MaxKindLength } &&
                !TextRules.HasControlCharacter(kind) && TextRules.IsWellFormedUtf16(kind))
            .WithMessage($"A kind must be 1 to {JobRequestRules.MaxKindLength} characters without control characters.");

        RuleFor(endpoint => endpoint.Headers)
            .Custom((headers, context) =>
            {
                if (headers is null)
                {
                    return;
                }

                if (headers.Count > MaxHeaders)
                {
                    context.AddFailure("headers", $"headers may hold at most {MaxHeaders} headers.");
                }

                foreach (var (name, value) in headers)
                {
                    if (CheckHeader(name, value) is { } message)
                    {
                        context.AddFailure($"headers.{name}", message);
                    }
                }
            });

        TimeoutRule(endpoint => endpoint.TimeoutSeconds, "timeout_seconds");
        TimeoutRule(endpoint => endpoint.ConnectTimeoutSeconds, "connect_timeout_seconds");
        TimeoutRule(endpoint => endpoint.ResponseHeadersTimeoutSeconds, "response_headers_timeout_seconds");
        TimeoutRule(endpoint => endpoint.BodyReadTimeoutSeconds, "body_read_timeout_seconds");

        RuleFor(endpoint => endpoint.MaxAttempts)
            .InclusiveBetween(1, ApiOptions.MaxAttemptsLimit)
            .WithMessage($"max_attempts must be between 1 and {ApiOptions.MaxAttemptsLimit}.");

        RuleFor(endpoint => endpoint.RetryStatuses)
            .Must(statuses => statuses is null || statuses.Count <= MaxRetryStatuses)
            .WithMessage($"retry_statuses may list at most {MaxRetryStatuses} statuses.");

        RuleForEach(endpoint => endpoint.RetryStatuses)
            .Must(status => status is >= 400 and <= 499 and not 410)
            .WithMessage("retry_statuses may list only 4xx statuses other than 410; 5xx, 408, 425 and 429 are retried anyway.");

        RuleFor(endpoint => endpoint.ConcurrencyLimit)
            .InclusiveBetween(1, JobRequestRules.MaxConcurrencyLimit)
            .WithMessage($"concurrency_limit must be between 1 and {JobRequestRules.MaxConcurrencyLimit}.");

        RuleFor(endpoint => endpoint.RateLimit)
            .InclusiveBetween(1, JobRequestRules.MaxRateLimit)
            .WithMessage($"rate_limit must be between 1 and {JobRequestRules.MaxRateLimit}.");

        RuleFor(endpoint => endpoint.RateLimitPeriodSeconds)
            .Must(seconds => seconds is null or >= 0.001 and <= JobRequestRules.MaxRatePeriodSeconds)
            .WithMessage($"rate_limit_period_seconds must be between 0.001 and {JobRequestRules.MaxRatePeriodSeconds} (one day).");

        RuleFor(endpoint => endpoint.RateLimitPeriodSeconds)
            .Null().When(endpoint => endpoint.RateLimit is null)
            .WithMessage("rate_limit_period_seconds needs rate_limit.");
    }

    private void TimeoutRule(System.Linq.Expressions.Expression<Func<WebhookEndpointRequest, double?>> member, string name) =>
        RuleFor(member)
            .Must(seconds => seconds is null or > 0 and <= MaxTimeoutSeconds)
            .WithMessage($"{name} must be greater than 0 and at most {MaxTimeoutSeconds} (one hour).");

    private static string? CheckHeader(string name, string? value)
    {
        if (name.Length is 0 or > MaxHeaderNameLength || !name.All(IsTokenCharacter))
        {
            return $"A header name must be 1 to {MaxHeaderNameLength} letters, digits or !#$%&'*+-.^_`|~.";
        }

        if (ReservedHeaders.Contains(name))
        {
            return $"The header {name} is set by every delivery and cannot be replaced.";
        }

        if (value is null || value.Length > MaxHeaderValueLength || value.Any(c => c is '\r' or '\n' or '\0'))
        {
            return $"A header value must be a string of at most {MaxHeaderValueLength} characters without line breaks or U+0000.";
        }

        return null;
    }

    private static bool IsTokenCharacter(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);
}
