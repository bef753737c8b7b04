using JobQueue.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace JobQueue.Storage;

/// <summary>API keys. All SQL on <c>jobqueue.api_keys</c> is here.</summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        "id, name, scopes, queues, rate_limit_per_second, created_by, created_at, expires_at, revoked_at, last_used_at, secret_sha256";

    private const string ApiKeyInsert = $"""
        INSERT INTO jobqueue.api_keys (id, name, secret_sha256, scopes, queues, rate_limit_per_second, created_by, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        RETURNING {Columns}
        """;

    private const string ApiKeyGet = $"SELECT {Columns} FROM jobqueue.api_keys WHERE id = $1";

    private const string ApiKeyList = $"SELECT {Columns} FROM jobqueue.api_keys ORDER BY created_at DESC, id";

    // A second revoke keeps the first time, so the key's history does not change.
    private const string ApiKeyRevoke = $"""
        UPDATE jobqueue.api_keys SET revoked_at = coalesce(revoked_at, now())
        WHERE id = $1
        RETURNING {Columns}
        """;

    private const string ApiKeyTouch = "UPDATE jobqueue.api_keys SET last_used_at = now() WHERE id = $1";

    /// <summary>Stores a new key and returns it as stored.</summary>
    public async Task<StoredApiKey> InsertAsync(NewApiKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var command = dataSource.CreateCommand(ApiKeyInsert);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Name });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = key.SecretSha256 });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. key.Scopes] });
        command.Parameters.Add(Nullable(key.Queues?.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(key.RateLimitPerSecond, NpgsqlDbType.Integer));
        command.Parameters.Add(Nullable(key.CreatedBy, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(key.ExpiresAt, NpgsqlDbType.TimestampTz));
        return (await ReadAllAsync(command, cancellationToken))[0];
    }

    /// <summary>Returns the key with this id, revoked or not, or null when there is none.</summary>
    public async Task<StoredApiKey?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ApiKeyGet);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return (await ReadAllAsync(command, cancellationToken)).FirstOrDefault();
    }

    /// <summary>Returns every key, revoked ones included, newest first.</summary>
    public async Task<IReadOnlyList<StoredApiKey>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ApiKeyList);
        return await ReadAllAsync(command, cancellationToken);
    }

    /// <summary>Revokes the key and returns it, or null when there is no such key. Revoking twice keeps the first time.</summary>
    public async Task<StoredApiKey?> RevokeAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ApiKeyRevoke);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return (await ReadAllAsync(command, cancellationToken)).FirstOrDefault();
    }

    /// <summary>Sets the key's <c>last_used_at</c> to now.</summary>
    public async Task TouchAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ApiKeyTouch);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) =>
        new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    private static async Task<List<StoredApiKey>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<StoredApiKey>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            var key = new ApiKey
            {
                Id = id,
                Name = reader.GetString(1),
                Prefix = ApiKeyPrefix + id,
                Scopes = reader.GetFieldValue<string[]>(2),
                Queues = reader.IsDBNull(3) ? null : reader.GetFieldValue<string[]>(3),
                RateLimitPerSecond = reader.IsDBNull(4) ? null : reader.GetInt32(4),
                CreatedBy = reader.IsDBNull(5) ? null : reader.GetString(5),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(6),
                ExpiresAt = reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                RevokedAt = reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                LastUsedAt = reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
            };
            keys.Add(new StoredApiKey(key, reader.GetFieldValue<byte[]>(10)));
        }

        return keys;
    }

    /// <summary>Start of every key: <c>jq_</c>, then the 12-character id, an underscore and the secret.</summary>
    public const string ApiKeyPrefix = "jq_";
}

/// <summary>A key to store: its public id, the SHA-256 of its secret and what it may do.</summary>
public sealed record NewApiKey(
    string Id,
    string Name,
    byte[] SecretSha256,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string>? Queues,
    int? RateLimitPerSecond,
    string? CreatedBy,
    DateTimeOffset? ExpiresAt);

/// <summary>A stored key with the SHA-256 of its secret, which a presented key is compared with.</summary>
public sealed record StoredApiKey(ApiKey Key, byte[] SecretSha256);
