using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>Names of the API key scopes.</summary>
public static class ApiKeyScopes
{
    /// <summary>Every <c>GET</c> request except key management and the audit log.</summary>
    public const string Read = "read";

    /// <summary><c>POST /v1/jobs</c>, <c>POST /v1/jobs/batch</c> and <c>POST /v1/batches</c>.</summary>
    public const string Enqueue = "enqueue";

    /// <summary>Every other request that changes state, key management and the audit log; includes the other scopes.</summary>
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [Read, Enqueue, Admin];
}

/// <summary>Body of <c>POST /v1/keys</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateApiKeyRequest
{
    /// <summary>What the key is for, such as <c>billing-service</c>; 1 to 100 characters, shown in the audit log.</summary>
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    /// <summary>One or more of <c>read</c>, <c>enqueue</c> and <c>admin</c>.</summary>
    [JsonPropertyName("scopes")]
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>Queues the key may enqueue to and read; omit for every queue. Not allowed with <c>admin</c>.</summary>
    [JsonPropertyName("queues")]
    public IReadOnlyList<string>? Queues { get; init; }

    /// <summary>When the key stops working, with a UTC offset; omit for a key that does not expire.</summary>
    [JsonPropertyName("expires_at")]
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Requests per second the key may send to each API process; omit for the server's default.</summary>
    [JsonPropertyName("rate_limit_per_second")]
    public int? RateLimitPerSecond { get; init; }
}

/// <summary>An API key without its secret.</summary>
public sealed record ApiKey
{
    /// <summary>Public id, the part of the key between <c>jq_</c> and the second underscore.</summary>
    [JsonPropertyName("id")]
    public string Id { get; init; } = "";

    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    /// <summary>The start of the key, <c>jq_</c> and the id, to recognise it where it is configured.</summary>
    [JsonPropertyName("prefix")]
    public string Prefix { get; init; } = "";

    [JsonPropertyName("scopes")]
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>Queues the key is limited to; null for every queue.</summary>
    [JsonPropertyName("queues")]
    public IReadOnlyList<string>? Queues { get; init; }

    /// <summary>The key's own request rate limit; null when the server's default applies.</summary>
    [JsonPropertyName("rate_limit_per_second")]
    public int? RateLimitPerSecond { get; init; }

    /// <summary>Id of the key that created this one; null when the admin command created it.</summary>
    [JsonPropertyName("created_by")]
    public string? CreatedBy { get; init; }

    [JsonPropertyName("created_at")]
    public DateTimeOffset CreatedAt { get; init; }

    [JsonPropertyName("expires_at")]
    public DateTimeOffset? ExpiresAt { get; init; }

    [JsonPropertyName("revoked_at")]
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>Approximate time of the last request with the key (updated at most once a minute per API process).</summary>
    [JsonPropertyName("last_used_at")]
    public DateTimeOffset? LastUsedAt { get; init; }
}

/// <summary>Response of <c>POST /v1/keys</c>: the key and, this once only, its secret.</summary>
public sealed record CreatedApiKey
{
    [JsonPropertyName("key")]
    public ApiKey Key { get; init; } = new();

    /// <summary>The whole key to send as <c>Authorization: Bearer</c>. It is not stored and cannot be shown again.</summary>
    [JsonPropertyName("secret")]
    public string Secret { get; init; } = "";
}

/// <summary>Every API key, revoked ones included, newest first.</summary>
public sealed record ApiKeyList
{
    [JsonPropertyName("keys")]
    public IReadOnlyList<ApiKey> Keys { get; init; } = [];
}

/// <summary>One audited request or admin command.</summary>
public sealed record AuditEntry
{
    [JsonPropertyName("id")]
    public long Id { get; init; }

    [JsonPropertyName("occurred_at")]
    public DateTimeOffset OccurredAt { get; init; }

    /// <summary>The key that made the request; null for the admin command, keyless mode and failed authentication.</summary>
    [JsonPropertyName("key_id")]
    public string? KeyId { get; init; }

    [JsonPropertyName("key_name")]
    public string? KeyName { get; init; }

    /// <summary>The method and route pattern, such as <c>POST /v1/jobs/{id}/cancel</c>, or <c>keys create</c> for the command.</summary>
    [JsonPropertyName("action")]
    public string Action { get; init; } = "";

    /// <summary>The route values (<c>id=42</c>) or the object the action created; null when there is none.</summary>
    [JsonPropertyName("target")]
    public string? Target { get; init; }

    /// <summary>HTTP status of the response.</summary>
    [JsonPropertyName("status")]
    public int Status { get; init; }

    /// <summary>The client's IP address as the API process saw it.</summary>
    [JsonPropertyName("client_address")]
    public string? ClientAddress { get; init; }

    /// <summary>More about the outcome, such as why authentication failed.</summary>
    [JsonPropertyName("detail")]
    public string? Detail { get; init; }
}

/// <summary>One page of the audit log, newest first.</summary>
public sealed record AuditPage
{
    [JsonPropertyName("entries")]
    public IReadOnlyList<AuditEntry> Entries { get; init; } = [];

    /// <summary>Opaque token for the next page; null on the last page.</summary>
    [JsonPropertyName("next_page_token")]
    public string? NextPageToken { get; init; }
}
