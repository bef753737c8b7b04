using JobQueue.Contracts;

namespace JobQueue.Api.Access;

/// <summary>
/// Who sent the request: the API key that authenticated it, or <see cref="Anonymous"/> in keyless
/// mode. <see cref="AccessMiddleware"/> sets it as a request feature before any endpoint runs.
/// </summary>
public sealed record ApiCaller(
    string? KeyId, string? KeyName, IReadOnlySet<string> Scopes, IReadOnlyList<string>? Queues, int? RateLimitPerSecond)
{
    /// <summary>The caller of every request in keyless mode: every scope, every queue, no rate limit.</summary>
    public static ApiCaller Anonymous { get; } =
        new(null, null, new HashSet<string>(ApiKeyScopes.All, StringComparer.Ordinal), null, null);

    /// <summary>Whether the caller has <paramref name="scope"/>; <c>admin</c> includes the others.</summary>
    public bool HasScope(string scope) => Scopes.Contains(scope) || Scopes.Contains(ApiKeyScopes.Admin);

    /// <summary>Whether the caller may enqueue to and read jobs of <paramref name="queue"/>.</summary>
    public bool MayUseQueue(string queue) => Queues is null || Queues.Contains(queue, StringComparer.Ordinal);

    /// <summary>Returns the caller that <see cref="AccessMiddleware"/> set on the request.</summary>
    public static ApiCaller Of(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<ApiCaller>()
            ?? throw new InvalidOperationException("No caller was set on the request; the access middleware did not run.");
    }
}
