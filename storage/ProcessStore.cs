using Npgsql;
using NpgsqlTypes;

namespace JobQueue.Storage;

/// <summary>A worker process as registered, with the attempts it runs now.</summary>
public sealed record WorkerProcess(
    string Id,
    string Host,
    int Pid,
    string Queues,
    string PoolsJson,
    IReadOnlyList<string> Kinds,
    DateTimeOffset StartedAt,
    DateTimeOffset HeartbeatAt,
    IReadOnlyList<RunningJob> Running);

/// <summary>An attempt that a worker process runs now.</summary>
public sealed record RunningJob(long Id, string Queue, string Kind, int Attempt, DateTimeOffset? AttemptedAt);

/// <summary>The registry of live worker processes. All SQL on <c>jobqueue.processes</c> is here.</summary>
public sealed class ProcessStore(NpgsqlDataSource dataSource)
{
    private const string ProcessUpsert = """
        INSERT INTO jobqueue.processes AS p (id, host, pid, queues, pools, kinds)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (id) DO UPDATE SET pools = excluded.pools, heartbeat_at = now()
        """;

    private const string ProcessDelete = "DELETE FROM jobqueue.processes WHERE id = $1";

    private const string ProcessDeleteStale = """
        DELETE FROM jobqueue.processes WHERE heartbeat_at < now() - $1 * interval '1 millisecond'
        """;

    // Running attempts are read from the jobs table, which is the truth, and grouped per process.
    private const string ProcessListLive = """
        SELECT p.id, p.host, p.pid, p.queues, p.pools, p.kinds, p.started_at, p.heartbeat_at,
               coalesce(jsonb_agg(jsonb_build_object(
                   'id', job.id, 'queue', job.queue, 'kind', job.kind, 'attempt', job.attempt,
                   'attempted_at', job.attempted_at) ORDER BY job.id) FILTER (WHERE job.id IS NOT NULL), '[]')
        FROM jobqueue.processes AS p
        LEFT JOIN jobqueue.jobs AS job ON job.worker_id = p.id AND job.state = 'running'
        WHERE p.heartbeat_at >= now() - $1 * interval '1 millisecond'
        GROUP BY p.id
        ORDER BY p.started_at, p.id
        """;

    /// <summary>Registers the process or refreshes its heartbeat and pool figures.</summary>
    public async Task HeartbeatAsync(string id, string host, int pid, string queues, string poolsJson,
        IReadOnlyCollection<string> kinds, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ProcessUpsert);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = host });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = pid });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queues });
        command.Parameters.Add(new NpgsqlParameter { Value = poolsJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = kinds.Order(StringComparer.Ordinal).ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task UnregisterAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ProcessDelete);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes processes whose last heartbeat is older than <paramref name="maxAge"/>.</summary>
    public async Task<int> DeleteStaleAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ProcessDeleteStale);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)maxAge.TotalMilliseconds });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Returns the processes whose last heartbeat is within <paramref name="maxAge"/>.</summary>
    public async Task<IReadOnlyList<WorkerProcess>> ListLiveAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ProcessListLive);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)maxAge.TotalMilliseconds });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var processes = new List<WorkerProcess>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var running = System.Text.Json.JsonSerializer.Deserialize<List<RunningJobRow>>(reader.GetString(8)) ?? [];
            processes.Add(new WorkerProcess(
                reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<string[]>(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7),
                running.Select(r => new RunningJob(r.Id, r.Queue, r.Kind, r.Attempt, r.AttemptedAt)).ToList()));
        }

        return processes;
    }

    private sealed record RunningJobRow(
        [property: System.Text.Json.Serialization.JsonPropertyName("id")] long Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("queue")] string Queue,
        [property: System.Text.Json.Serialization.JsonPropertyName("kind")] string Kind,
        [property: System.Text.Json.Serialization.JsonPropertyName("attempt")] int Attempt,
        [property: System.Text.Json.Serialization.JsonPropertyName("attempted_at")] DateTimeOffset? AttemptedAt);
}
