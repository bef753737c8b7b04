using Npgsql;

namespace JobQueue.Storage;

/// <summary>Per-queue settings: pausing and resuming. All SQL on <c>jobqueue.queues</c> is here.</summary>
public sealed class QueueStore(NpgsqlDataSource dataSource)
{
    private const string QueuePause = """
        INSERT INTO jobqueue.queues AS q (name, paused_at) VALUES ($1, now())
        ON CONFLICT (name) DO UPDATE SET paused_at = coalesce(q.paused_at, now()), updated_at = now()
        RETURNING paused_at
        """;

    // Resuming wakes the queue's workers, which would otherwise wait for their next poll.
    private const string QueueResume = $"""
        WITH resumed AS (
            UPDATE jobqueue.queues SET paused_at = NULL, updated_at = now() WHERE name = $1 RETURNING name
        )
        SELECT pg_notify('{JobSql.AvailableChannel}', $1)
        """;

    private const string QueueListPaused = "SELECT name, paused_at FROM jobqueue.queues WHERE paused_at IS NOT NULL";

    /// <summary>Pauses the queue: its jobs are still accepted but not claimed. Returns when it was paused.</summary>
    public async Task<DateTimeOffset> PauseAsync(string queue, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(QueuePause);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetFieldValue<DateTimeOffset>(0);
    }

    /// <summary>Resumes the queue, if it was paused, and wakes its workers.</summary>
    public async Task ResumeAsync(string queue, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(QueueResume);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = queue });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Returns every paused queue with the time it was paused.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> ListPausedAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(QueueListPaused);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var paused = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            paused[reader.GetString(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        }

        return paused;
    }
}
