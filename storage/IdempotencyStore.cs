using Npgsql;

namespace JobQueue.Storage;

/// <summary>
/// Keys of requests sent with an <c>Idempotency-Key</c> header and their stored responses. The
/// write that completes a key together with the jobs it created is
/// <see cref="JobStore.EnqueueWithIdempotencyKeyAsync"/>, because it shares their transaction.
/// </summary>
public sealed class IdempotencyStore(NpgsqlDataSource dataSource)
{
    // A claim that loses its row between its two statements (the row expired or was deleted)
    // tries again. After this many rounds the key is reported as in flight.
    private const int MaxClaimRounds = 3;

    /// <summary>
    /// Takes the key for this request, or returns the key's current owner: a stored response, or
    /// an in-flight marker of another request. An expired key, and an in-flight marker with the
    /// same fingerprint older than <paramref name="inFlightTimeout"/>, are taken over.
    /// </summary>
    public async Task<IdempotencyClaim> ClaimAsync(
        IdempotencyKey key, TimeSpan timeToLive, TimeSpan inFlightTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var token = Guid.NewGuid();
        for (var round = 1; round <= MaxClaimRounds; round++)
        {
            await using (var claim = dataSource.CreateCommand(IdempotencySql.IdempotencyKeyClaim))
            {
                claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Endpoint });
                claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Key });
                claim.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = key.Fingerprint });
                claim.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = token });
                claim.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)timeToLive.TotalMilliseconds });
                claim.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)inFlightTimeout.TotalMilliseconds });
                if (await claim.ExecuteScalarAsync(cancellationToken) is Guid held && held == token)
                {
                    return new IdempotencyClaim.Acquired(token);
                }
            }

            await using var get = dataSource.CreateCommand(IdempotencySql.IdempotencyKeyGet);
            get.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Endpoint });
            get.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Key });
            await using var reader = await get.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                continue;
            }

            var fingerprint = reader.GetFieldValue<byte[]>(0);
            var response = reader.GetString(1) == "completed"
                ? new StoredResponse(reader.GetInt32(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4))
                : null;
            return new IdempotencyClaim.Held(fingerprint, response);
        }

        return new IdempotencyClaim.Held(key.Fingerprint, null);
    }

    /// <summary>Replaces the stored body of a key this request completed, for a response that changed after the commit.</summary>
    public async Task ReplaceBodyAsync(IdempotencyKey key, Guid token, string body, CancellationToken cancellationToken)
    {
        await using var command = CreateKeyCommand(IdempotencySql.IdempotencyKeyReplaceBody, key, token);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = body });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes this request's in-flight marker, so that a retry with the key need not wait for the in-flight timeout.</summary>
    public async Task ReleaseAsync(IdempotencyKey key, Guid token, CancellationToken cancellationToken)
    {
        await using var command = CreateKeyCommand(IdempotencySql.IdempotencyKeyRelease, key, token);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes up to <paramref name="limit"/> expired keys and returns how many it deleted.</summary>
    public async Task<int> DeleteExpiredAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(IdempotencySql.IdempotencyKeyDeleteExpired);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private NpgsqlCommand CreateKeyCommand(string sql, IdempotencyKey key, Guid token)
    {
        var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Endpoint });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Key });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = token });
        return command;
    }
}

/// <summary>An idempotency key of one endpoint, with the SHA-256 fingerprint of the request body that came with it.</summary>
public sealed record IdempotencyKey(string Endpoint, string Key, byte[] Fingerprint);

/// <summary>A response stored for replay: status code, JSON body and the <c>Location</c> header, if any.</summary>
public sealed record StoredResponse(int StatusCode, string Body, string? Location);

/// <summary>The result of <see cref="IdempotencyStore.ClaimAsync"/>.</summary>
public abstract record IdempotencyClaim
{
    private IdempotencyClaim()
    {
    }

    /// <summary>This request holds the key; <see cref="Token"/> names it in every later write.</summary>
    public sealed record Acquired(Guid Token) : IdempotencyClaim;

    /// <summary>Another request holds the key: its stored response, or null while it is in flight.</summary>
    public sealed record Held(byte[] Fingerprint, StoredResponse? Response) : IdempotencyClaim;
}
