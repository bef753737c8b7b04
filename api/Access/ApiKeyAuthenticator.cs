using System.Collections.Concurrent;
using System.Security.Cryptography;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Access;

/// <summary>
/// Checks presented API keys against <c>jobqueue.api_keys</c>. Keys read from the database are
/// kept for <see cref="AccessOptions.KeyCacheDuration"/>, so a busy key costs one read per
/// process and period rather than one per request; <see cref="Forget"/> drops a revoked key at once.
/// </summary>
public sealed class ApiKeyAuthenticator(
    ApiKeyStore store, IOptions<AccessOptions> options, TimeProvider timeProvider, ILogger<ApiKeyAuthenticator> logger)
{
    /// <summary>Least time between two writes of a key's <c>last_used_at</c> by one process.</summary>
    public static readonly TimeSpan LastUsedInterval = TimeSpan.FromMinutes(1);

    // Bounds the cache, so requests with many made-up ids cannot grow it without limit: unknown
    // ids are never cached, and only keys that exist in the database take a place.
    private const int MaxCachedKeys = 10_000;

    private readonly ConcurrentDictionary<string, CachedKey> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastTouched = new(StringComparer.Ordinal);

    /// <summary>Checks the value of an <c>Authorization</c> header and returns the caller, or why it failed.</summary>
    public async Task<AuthenticationOutcome> AuthenticateAsync(string? authorization, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(authorization))
        {
            return AuthenticationOutcome.Fail(null, "The request has no API key. Send it as 'Authorization: Bearer jq_...'.", missing: true);
        }

        const string Scheme = "Bearer ";
        if (!authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticationOutcome.Fail(null, "The Authorization header must use the Bearer scheme: 'Authorization: Bearer jq_...'.");
        }

        if (!ApiKeySecret.TryParse(authorization.AsSpan(Scheme.Length).Trim(), out var id, out var secretSha256))
        {
            return AuthenticationOutcome.Fail(null,
                $"The API key is malformed: a key is 'jq_', a 12-character id, '_' and a {ApiKeySecret.SecretLength}-character secret.");
        }

        var stored = await FindAsync(id, cancellationToken);
        if (stored is null || !CryptographicOperations.FixedTimeEquals(stored.SecretSha256, secretSha256))
        {
            return AuthenticationOutcome.Fail(id, $"The API key {ApiKeyStore.ApiKeyPrefix}{id}_... is not valid.");
        }

        // Only a caller that holds the right secret learns that the key was revoked or expired.
        var key = stored.Key;
        var now = timeProvider.GetUtcNow();
        if (key.RevokedAt is { } revokedAt)
        {
            return AuthenticationOutcome.Fail(id, $"The API key {key.Prefix} was revoked at {revokedAt:O}.");
        }

        if (key.ExpiresAt is { } expiresAt && expiresAt <= now)
        {
            return AuthenticationOutcome.Fail(id, $"The API key {key.Prefix} expired at {expiresAt:O}.");
        }

        await TouchAsync(id, now, cancellationToken);
        var caller = new ApiCaller(key.Id, key.Name, new HashSet<string>(key.Scopes, StringComparer.Ordinal), key.Queues,
            key.RateLimitPerSecond);
        return new AuthenticationOutcome(caller, id, null, false);
    }

    /// <summary>Drops the key from this process's cache, so that a revoke takes effect here at once.</summary>
    public void Forget(string id) => _cache.TryRemove(id, out _);

    private async Task<StoredApiKey?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var duration = options.Value.KeyCacheDuration;
        if (_cache.TryGetValue(id, out var cached) && now - cached.ReadAt < duration)
        {
            return cached.Key;
        }

        var stored = await store.GetAsync(id, cancellationToken);
        if (stored is null || duration <= TimeSpan.Zero)
        {
            _cache.TryRemove(id, out _);
            return stored;
        }

        if (_cache.Count >= MaxCachedKeys)
        {
            _cache.Clear();
        }

        _cache[id] = new CachedKey(stored, now);
        return stored;
    }

    // last_used_at is written at most once per LastUsedInterval per process. A failed write only
    // loses that time, so it is logged and the request goes on.
    private async Task TouchAsync(string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_lastTouched.TryGetValue(id, out var touched) && now - touched < LastUsedInterval)
        {
            return;
        }

        if (_lastTouched.Count >= MaxCachedKeys)
        {
            _lastTouched.Clear();
        }

        _lastTouched[id] = now;
        try
        {
            await store.TouchAsync(id, cancellationToken);
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or TimeoutException)
        {
            ApiLog.KeyLastUsedWriteFailed(logger, exception, id);
        }
    }

    private sealed record CachedKey(StoredApiKey Key, DateTimeOffset ReadAt);
}

/// <summary>
/// The result of <see cref="ApiKeyAuthenticator.AuthenticateAsync"/>: a caller, or the reason the
/// key was rejected. <see cref="KeyId"/> is the id the request named, when it had one.
/// </summary>
public sealed record AuthenticationOutcome(ApiCaller? Caller, string? KeyId, string? Failure, bool Missing)
{
    public static AuthenticationOutcome Fail(string? keyId, string failure, bool missing = false) => new(null, keyId, failure, missing);
}
