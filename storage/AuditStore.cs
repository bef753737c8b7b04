using JobQueue.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace JobQueue.Storage;

/// <summary>The audit log of operator actions. All SQL on <c>jobqueue.audit_log</c> is here.</summary>
public sealed class AuditStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, occurred_at, key_id, key_name, action, target, status, client_address, detail";

    private const string AuditInsert = """
        INSERT INTO jobqueue.audit_log (key_id, key_name, action, target, status, client_address, detail)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        """;

    // Oldest first through audit_log_occurred_at, with SKIP LOCKED so that API processes share the work.
    private const string AuditDeleteOlderThan = """
        DELETE FROM jobqueue.audit_log AS entry
        USING (
            SELECT id FROM jobqueue.audit_log
            WHERE occurred_at < now() - $1 * interval '1 millisecond'
            ORDER BY occurred_at
            LIMIT $2
            FOR UPDATE SKIP LOCKED
        ) AS expired
        WHERE entry.id = expired.id
        """;

    /// <summary>Appends one entry; the database sets its id and time.</summary>
    public async Task InsertAsync(NewAuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await using var command = dataSource.CreateCommand(AuditInsert);
        command.Parameters.Add(NullableText(entry.KeyId));
        command.Parameters.Add(NullableText(entry.KeyName));
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = entry.Action });
        command.Parameters.Add(NullableText(entry.Target));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = entry.Status });
        command.Parameters.Add(NullableText(entry.ClientAddress));
        command.Parameters.Add(NullableText(entry.Detail));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Returns up to <paramref name="limit"/> entries newest first, below <paramref name="beforeId"/> when set.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(
        string? keyId, long? beforeId, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand();
        var conditions = new List<string>();
        if (keyId is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = keyId });
            conditions.Add("key_id = $" + command.Parameters.Count);
        }

        if (beforeId is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = beforeId.Value });
            conditions.Add("id < $" + command.Parameters.Count);
        }

        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var where = conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
        command.CommandText = $"SELECT {Columns} FROM jobqueue.audit_log {where} ORDER BY id DESC LIMIT ${command.Parameters.Count}";

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<AuditEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new AuditEntry
            {
                Id = reader.GetInt64(0),
                OccurredAt = reader.GetFieldValue<DateTimeOffset>(1),
                KeyId = reader.IsDBNull(2) ? null : reader.GetString(2),
                KeyName = reader.IsDBNull(3) ? null : reader.GetString(3),
                Action = reader.GetString(4),
                Target = reader.IsDBNull(5) ? null : reader.GetString(5),
                Status = reader.GetInt32(6),
                ClientAddress = reader.IsDBNull(7) ? null : reader.GetString(7),
                Detail = reader.IsDBNull(8) ? null : reader.GetString(8),
            });
        }

        return entries;
    }

    /// <summary>Deletes up to <paramref name="limit"/> entries older than <paramref name="retention"/>, oldest first; returns how many.</summary>
    public async Task<int> DeleteOlderThanAsync(TimeSpan retention, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(AuditDeleteOlderThan);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)retention.TotalMilliseconds });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter NullableText(string? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}

/// <summary>An audit entry to append. <see cref="Status"/> is the HTTP status of the response.</summary>
public sealed record NewAuditEntry(
    string? KeyId, string? KeyName, string Action, string? Target, int Status, string? ClientAddress, string? Detail);
