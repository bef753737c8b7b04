using JobQueue.Api.Access;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Keys;

/// <summary>Creates API keys for <c>POST /v1/keys</c> and the <c>keys create</c> command.</summary>
internal static class ApiKeyIssuer
{
    /// <summary>Stores a new key for a validated request and returns it with its secret, which is not stored.</summary>
    public static async Task<CreatedApiKey> CreateAsync(
        ApiKeyStore store, CreateApiKeyRequest request, string? createdBy, CancellationToken cancellationToken)
    {
        var (id, key, secretSha256) = ApiKeySecret.Create();
        var scopes = ApiKeyScopes.All.Where(request.Scopes.Contains).ToList();
        var queues = request.Queues?.Distinct(StringComparer.Ordinal).ToList();
        var stored = await store.InsertAsync(
            new NewApiKey(id, request.Name, secretSha256, scopes, queues, request.RateLimitPerSecond, createdBy, request.ExpiresAt),
            cancellationToken);
        return new CreatedApiKey { Key = stored.Key, Secret = key };
    }
}
