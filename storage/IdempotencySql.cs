namespace JobQueue.Storage;

/// <summary>
/// Every statement on <c>jobqueue.idempotency_keys</c>, one named member each. A key row is
/// scoped by endpoint; <c>request_token</c> identifies the request that owns it, and every write
/// of an owner checks it, so a request whose stale marker was taken over cannot complete it.
/// </summary>
internal static class IdempotencySql
{
    /// <summary>
    /// Takes key $2 of endpoint $1 for request token $4 with fingerprint $3, in flight, expiring
    /// after $5 ms. An existing row is taken over only when it expired, or when it is an in-flight
    /// marker with the same fingerprint that is older than $6 ms, because its request died.
    /// Returns the token only when this request now owns the key.
    /// </summary>
    public const string IdempotencyKeyClaim = """
        INSERT INTO jobqueue.idempotency_keys AS held
            (endpoint, key, fingerprint, state, request_token, expires_at)
        VALUES ($1, $2, $3, 'in_flight', $4, now() + $5 * interval '1 millisecond')
        ON CONFLICT (endpoint, key) DO UPDATE
        SET fingerprint = excluded.fingerprint,
            state = 'in_flight',
            request_token = excluded.request_token,
            status_code = NULL,
            response_body = NULL,
            location = NULL,
            created_at = now(),
            locked_at = now(),
            expires_at = excluded.expires_at
        WHERE held.expires_at <= now()
           OR (held.state = 'in_flight'
               AND held.fingerprint = excluded.fingerprint
               AND held.locked_at < now() - $6 * interval '1 millisecond')
        RETURNING held.request_token
        """;

    /// <summary>Returns fingerprint, state, status code, body and location of key $2 of endpoint $1 unless it expired.</summary>
    public const string IdempotencyKeyGet = """
        SELECT fingerprint, state, status_code, response_body, location
        FROM jobqueue.idempotency_keys
        WHERE endpoint = $1 AND key = $2 AND expires_at > now()
        """;

    /// <summary>
    /// Stores response $4 (status), $5 (body) and $6 (location) for key $2 of endpoint $1 and
    /// marks it completed, if request token $3 still owns it in flight.
    /// </summary>
    public const string IdempotencyKeyComplete = """
        UPDATE jobqueue.idempotency_keys
        SET state = 'completed', status_code = $4, response_body = $5, location = $6
        WHERE endpoint = $1 AND key = $2 AND request_token = $3 AND state = 'in_flight'
        """;

    /// <summary>Replaces the stored body of completed key $2 of endpoint $1 with $4, if request token $3 owns it.</summary>
    public const string IdempotencyKeyReplaceBody = """
        UPDATE jobqueue.idempotency_keys
        SET response_body = $4
        WHERE endpoint = $1 AND key = $2 AND request_token = $3 AND state = 'completed'
        """;

    /// <summary>Deletes the in-flight marker of key $2 of endpoint $1 owned by request token $3, after its request failed.</summary>
    public const string IdempotencyKeyRelease = """
        DELETE FROM jobqueue.idempotency_keys
        WHERE endpoint = $1 AND key = $2 AND request_token = $3 AND state = 'in_flight'
        """;

    /// <summary>Deletes up to $1 expired keys, oldest first, skipping rows a request holds locked.</summary>
    public const string IdempotencyKeyDeleteExpired = """
        DELETE FROM jobqueue.idempotency_keys AS held
        USING (
            SELECT endpoint, key FROM jobqueue.idempotency_keys
            WHERE expires_at <= now()
            ORDER BY expires_at
            LIMIT $1
            FOR UPDATE SKIP LOCKED
        ) AS expired
        WHERE held.endpoint = expired.endpoint AND held.key = expired.key
        """;
}
