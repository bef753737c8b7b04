using Npgsql;

namespace JobQueue.Storage;

/// <summary>
/// Session-level advisory locks, for work that one process at a time may do. The lock belongs to
/// the connection's server session, so take and release it on the same connection.
/// </summary>
internal static class SessionLock
{
    /// <summary>Takes the lock <paramref name="key"/> if no other session holds it, and returns whether it did.</summary>
    public static async Task<bool> TryAcquireAsync(NpgsqlConnection connection, long key, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>
    /// Releases the lock <paramref name="key"/>. Closing the connection would release it too, but
    /// a pooled connection stays open on the server.
    /// </summary>
    public static async Task ReleaseAsync(NpgsqlConnection connection, long key)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = key });
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }
}
