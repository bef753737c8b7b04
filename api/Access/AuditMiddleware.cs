using JobQueue.Contracts;
using JobQueue.Storage;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Access;

/// <summary>
/// Writes an audit entry for each operator action: every request that needs the <c>admin</c>
/// scope and is not a read, every 403, and every 401 (up to
/// <see cref="AuditOptions.MaxFailedAuthenticationEntriesPerMinute"/>). The entry is written after
/// the endpoint ran and before the response completes, so a client that got its response finds
/// the entry. Enqueues and reads are not recorded.
/// </summary>
internal sealed class AuditMiddleware(
    RequestDelegate next, AuditStore store, IOptions<AuditOptions> options, TimeProvider timeProvider,
    ILogger<AuditMiddleware> logger)
{
    private const int MaxTextLength = 500;

    private readonly Lock _failureLock = new();
    private long _failureMinute;
    private int _failuresThisMinute;
    private int _failuresSkipped;

    public async Task InvokeAsync(HttpContext context)
    {
        var status = 0;
        try
        {
            await next(context);
            status = context.Response.StatusCode;
        }
        catch (Exception exception) when (!context.RequestAborted.IsCancellationRequested)
        {
            // ProblemMiddleware answers the exception; this records the status it will send.
            status = exception is Npgsql.NpgsqlException or TimeoutException
                ? StatusCodes.Status503ServiceUnavailable
                : StatusCodes.Status500InternalServerError;
            throw;
        }
        finally
        {
            if (ShouldRecord(context, status))
            {
                await RecordAsync(context, status);
            }
        }
    }

    /// <summary>Sets the target of the request's audit entry, for endpoints whose route values do not name it.</summary>
    public static void SetTarget(HttpContext context, string target) => context.Features.Set(new AuditTarget(target));

    private bool ShouldRecord(HttpContext context, int status)
    {
        if (context.Features.Get<RequiredScope>() is not { } required)
        {
            return false;
        }

        if (status == StatusCodes.Status401Unauthorized)
        {
            return TakeFailureSlot();
        }

        if (status == StatusCodes.Status403Forbidden)
        {
            return true;
        }

        var method = context.Request.Method;
        var isRead = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);
        return required.Scope == ApiKeyScopes.Admin && !isRead;
    }

    private async Task RecordAsync(HttpContext context, int status)
    {
        var caller = context.Features.Get<ApiCaller>();
        var failure = context.Features.Get<AuthenticationOutcome>();
        var entry = new NewAuditEntry(
            KeyId: caller?.KeyId ?? failure?.KeyId,
            KeyName: caller?.KeyName,
            Action: Truncate(ActionOf(context))!,
            Target: Truncate(context.Features.Get<AuditTarget>()?.Value ?? TargetOf(context)),
            Status: status,
            ClientAddress: context.Connection.RemoteIpAddress?.ToString(),
            Detail: failure?.Failure is { } reason ? Truncate(reason) : null);
        try
        {
            // Not the request's token: an action that happened is recorded even if the client went away.
            await store.InsertAsync(entry, CancellationToken.None);
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or TimeoutException)
        {
            ApiLog.AuditWriteFailed(logger, exception, entry.Action, entry.KeyId ?? "-", status);
        }
    }

    // The route pattern rather than the path, so that entries group by action; unmatched
    // requests keep their path.
    private static string ActionOf(HttpContext context)
    {
        var pattern = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        var route = pattern is null ? context.Request.Path.Value : "/" + pattern.TrimStart('/');
        return $"{context.Request.Method} {route}";
    }

    private static string? TargetOf(HttpContext context)
    {
        var values = context.GetRouteData().Values;
        return values.Count == 0 ? null : string.Join(" ", values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}"));
    }

    private static string? Truncate(string? text) => text is { Length: > MaxTextLength } ? text[..MaxTextLength] : text;

    // Counts failed authentications per clock minute. The count of those left out in the
    // previous minute is logged once, by the first failure of the next.
    private bool TakeFailureSlot()
    {
        var limit = options.Value.MaxFailedAuthenticationEntriesPerMinute;
        var minute = timeProvider.GetUtcNow().ToUnixTimeSeconds() / 60;
        var skippedBefore = 0;
        bool free;
        lock (_failureLock)
        {
            if (minute != _failureMinute)
            {
                skippedBefore = _failuresSkipped;
                _failureMinute = minute;
                _failuresThisMinute = 0;
                _failuresSkipped = 0;
            }

            free = _failuresThisMinute < limit;
            if (free)
            {
                _failuresThisMinute++;
            }
            else
            {
                _failuresSkipped++;
            }
        }

        if (skippedBefore > 0)
        {
            ApiLog.FailedAuthenticationNotAudited(logger, skippedBefore, limit);
        }

        return free;
    }

    private sealed record AuditTarget(string Value);
}
