using JobQueue.Api.Errors;
using JobQueue.Contracts;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace JobQueue.Api.Access;

/// <summary>
/// Authenticates every request outside the public paths and checks the scope that
/// <see cref="RouteScopes"/> maps its method and path to: 401 without a valid key, 403 without
/// the scope. A key limited to queues may only reach endpoints marked with
/// <see cref="QueueLimitsEnforced"/>, because only those check the queues they touch.
/// </summary>
internal sealed class AccessMiddleware(
    RequestDelegate next, ApiKeyAuthenticator authenticator, IOptions<AccessOptions> options)
{
    private const string Realm = "jobqueue";

    public async Task InvokeAsync(HttpContext context)
    {
        var scope = RouteScopes.Required(context.Request.Method, context.Request.Path);
        if (scope is null)
        {
            await next(context);
            return;
        }

        context.Features.Set(new RequiredScope(scope));
        if (options.Value.Mode == AccessMode.None)
        {
            if (!KeylessModeGuard.IsLocalConnection(context))
            {
                // The start-up check makes this unreachable unless the server binds an address by
                // some means it could not see, so the keyless mode never serves a remote client.
                await RejectAsync(context, StatusCodes.Status401Unauthorized, ProblemTypes.Unauthorized,
                    "This API runs without keys (Api:Auth:Mode=none), which serves loopback connections only.",
                    $"Bearer realm=\"{Realm}\"");
                return;
            }

            context.Features.Set(ApiCaller.Anonymous);
            await next(context);
            return;
        }

        var outcome = await authenticator.AuthenticateAsync(context.Request.Headers.Authorization, context.RequestAborted);
        if (outcome.Caller is not { } caller)
        {
            context.Features.Set(outcome);
            var challenge = outcome.Missing
                ? $"Bearer realm=\"{Realm}\""
                : $"Bearer realm=\"{Realm}\", error=\"invalid_token\"";
            await RejectAsync(context, StatusCodes.Status401Unauthorized, ProblemTypes.Unauthorized, outcome.Failure!, challenge);
            return;
        }

        context.Features.Set(caller);
        if (!caller.HasScope(scope))
        {
            var granted = string.Join(", ", caller.Scopes.Order(StringComparer.Ordinal));
            await RejectAsync(context, StatusCodes.Status403Forbidden, ProblemTypes.Forbidden,
                $"{context.Request.Method} {context.Request.Path} needs the scope '{scope}'; the key {caller.KeyName} has {granted}.",
                $"Bearer realm=\"{Realm}\", error=\"insufficient_scope\", scope=\"{scope}\"");
            return;
        }

        // A request that matched no endpoint goes on to its 404.
        var endpoint = context.GetEndpoint();
        if (caller.Queues is not null && endpoint is not null && endpoint.Metadata.GetMetadata<QueueLimitsEnforced>() is null)
        {
            await RejectAsync(context, StatusCodes.Status403Forbidden, ProblemTypes.Forbidden,
                $"The key {caller.KeyName} is limited to the queues {string.Join(", ", caller.Queues)}, and " +
                $"{context.Request.Method} {context.Request.Path} is not available to queue-limited keys.", null);
            return;
        }

        await next(context);
    }

    /// <summary>Writes a 401 or 403 problem response, with <c>WWW-Authenticate</c> when a challenge is given.</summary>
    internal static Task RejectAsync(HttpContext context, int status, string type, string detail, string? challenge)
    {
        if (challenge is not null)
        {
            // WriteAsync clears the response's headers first, so the challenge is added as it starts.
            context.Response.OnStarting(() =>
            {
                context.Response.Headers[HeaderNames.WWWAuthenticate] = challenge;
                return Task.CompletedTask;
            });
        }

        return ProblemMiddleware.WriteAsync(context, ApiProblem.Create(context, status, type, detail));
    }
}

/// <summary>The scope <see cref="RouteScopes"/> mapped the request to, kept for the audit log.</summary>
public sealed record RequiredScope(string Scope);

/// <summary>
/// Endpoint metadata: the endpoint checks every queue it reads or writes against
/// <see cref="ApiCaller.Queues"/>, so keys limited to queues may use it. Other endpoints
/// answer such keys with 403.
/// </summary>
public sealed class QueueLimitsEnforced
{
    public static QueueLimitsEnforced Instance { get; } = new();
}
