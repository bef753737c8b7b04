using JobQueue.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace JobQueue.Storage;

/// <summary>The claim: lock due jobs, apply concurrency and rate limits, mark the chosen jobs running.</summary>
public sealed partial class JobStore
{
    // When limits turned candidates away, the claim looks again within the same transaction, up
    // to this many times, so that jobs behind a saturated key still fill the free slots.
    private const int MaxClaimRounds = 3;

    /// <summary>
    /// Claims up to <paramref name="limit"/> available jobs for one pool, leased to the worker,
    /// without exceeding any job's concurrency or rate limit across all workers.
    /// </summary>
    public async Task<IReadOnlyList<Job>> ClaimAsync(
        QueueFilter queues, int limit, string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        var candidateSql = queues.Queues is null ? JobSql.JobLockCandidatesAny
            : queues.Exclude ? JobSql.JobLockCandidatesExceptQueues
            : JobSql.JobLockCandidatesInQueues;
        var queueNames = queues.Queues?.ToArray() ?? [];

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var chosen = new List<Candidate>();
        var seen = new HashSet<long>();
        var usage = new LimitUsage();
        for (var round = 0; round < MaxClaimRounds && chosen.Count < limit; round++)
        {
            // Rows this transaction locked in an earlier round come back, because a transaction
            // does not skip its own locks; the limit leaves room for them.
            var wanted = limit - chosen.Count + seen.Count;
            var candidates = (await LockCandidatesAsync(connection, candidateSql, queueNames, wanted, cancellationToken))
                .Where(c => seen.Add(c.Id))
                .ToList();
            if (candidates.Count == 0)
            {
                break;
            }

            var keyed = candidates.Where(c => c.ConcurrencyKey is not null || c.RateLimitKey is not null).ToList();
            if (keyed.Count > 0)
            {
                await LockAndCountAsync(connection, keyed, usage, cancellationToken);
            }

            var turnedAway = 0;
            foreach (var candidate in candidates)
            {
                if (usage.TryTake(candidate))
                {
                    chosen.Add(candidate);
                }
                else
                {
                    turnedAway++;
                }
            }

            if (turnedAway == 0)
            {
                break;
            }
        }

        var jobs = chosen.Count == 0 ? [] : await MarkRunningAsync(connection, chosen, workerId, lease, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        // The order only matters for logs and tests, because the whole batch starts at once.
        jobs.Sort((a, b) => a.Priority != b.Priority
            ? a.Priority.CompareTo(b.Priority)
            : a.ScheduledAt != b.ScheduledAt ? a.ScheduledAt.CompareTo(b.ScheduledAt) : a.Id.CompareTo(b.Id));
        return jobs;
    }

    private static async Task<List<Candidate>> LockCandidatesAsync(
        NpgsqlConnection connection, string sql, string[] queueNames, int limit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = queueNames });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var candidates = new List<Candidate>();
        while (await reader.ReadAsync(cancellationToken))
        {
            candidates.Add(new Candidate(
                reader.GetInt64(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? 0 : reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? 0 : reader.GetInt32(4),
                reader.IsDBNull(5) ? 0 : reader.GetInt32(5)));
        }

        return candidates;
    }

    // Serialises claims of the same keys across all workers, then reads the counts with a fresh
    // snapshot that includes every claim committed before the locks were granted.
    private static async Task LockAndCountAsync(
        NpgsqlConnection connection, List<Candidate> keyed, LimitUsage usage, CancellationToken cancellationToken)
    {
        var concurrencyKeys = keyed.Where(c => c.ConcurrencyKey is not null).Select(c => c.ConcurrencyKey!).Distinct().ToArray();
        var rateKeys = keyed.Where(c => c.RateLimitKey is not null).Select(c => (c.RateLimitKey!, c.RatePeriodMs)).Distinct().ToArray();
        var lockNames = concurrencyKeys.Select(k => "concurrency:" + k).Concat(rateKeys.Select(r => "rate:" + r.Item1)).ToArray();

        await using (var lockCommand = new NpgsqlCommand(JobSql.LimitKeysLock, connection))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = lockNames });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var count = new NpgsqlCommand(JobSql.LimitKeysCount, connection);
        count.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = concurrencyKeys });
        count.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rateKeys.Select(r => r.Item1).ToArray() });
        count.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = rateKeys.Select(r => r.RatePeriodMs).ToArray() });
        await using var reader = await count.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            usage.Set(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3));
        }
    }

    private static async Task<List<Job>> MarkRunningAsync(
        NpgsqlConnection connection, List<Candidate> chosen, string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        var rateLimited = chosen.Where(c => c.RateLimitKey is not null).ToList();
        if (rateLimited.Count > 0)
        {
            await using var record = new NpgsqlCommand(JobSql.RateLimitStartsInsert, connection);
            record.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rateLimited.Select(c => c.RateLimitKey!).ToArray() });
            record.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = rateLimited.Select(c => c.Id).ToArray() });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(JobSql.JobClaimLocked, connection);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = chosen.Select(c => c.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workerId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)lease.TotalMilliseconds });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await JobReader.ReadAllAsync(reader, cancellationToken);
    }

    /// <summary>Claims the given jobs that are available, in id order, for inline execution.</summary>
    public async Task<IReadOnlyList<Job>> ClaimByIdsAsync(
        IReadOnlyList<long> ids, string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.JobClaimByIds);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids.ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workerId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)lease.TotalMilliseconds });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var jobs = await JobReader.ReadAllAsync(reader, cancellationToken);
        jobs.Sort((a, b) => a.Id.CompareTo(b.Id));
        return jobs;
    }

    /// <summary>Deletes rate-limit starts older than the longest allowed period.</summary>
    public async Task<int> PruneRateLimitStartsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(JobSql.RateLimitStartsPrune);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed record Candidate(
        long Id, string? ConcurrencyKey, int ConcurrencyLimit, string? RateLimitKey, int RateLimit, int RatePeriodMs);

    /// <summary>Running jobs and recent starts per key, counted up as this claim takes candidates.</summary>
    private sealed class LimitUsage
    {
        private readonly Dictionary<string, long> _running = new(StringComparer.Ordinal);
        private readonly Dictionary<(string Key, int PeriodMs), long> _starts = [];

        // The first count of a key is kept: this transaction holds the key's lock from then on,
        // so only its own choices, counted here, can raise it. A later count would miss them,
        // because the chosen jobs are marked running only at the end.
        public void Set(string kind, string key, int periodMs, long count)
        {
            if (kind == "concurrency")
            {
                _running.TryAdd(key, count);
            }
            else
            {
                _starts.TryAdd((key, periodMs), count);
            }
        }

        public bool TryTake(Candidate candidate)
        {
            var running = candidate.ConcurrencyKey is null ? 0 : _running.GetValueOrDefault(candidate.ConcurrencyKey);
            var starts = candidate.RateLimitKey is null ? 0 : _starts.GetValueOrDefault((candidate.RateLimitKey, candidate.RatePeriodMs));
            if ((candidate.ConcurrencyKey is not null && running >= candidate.ConcurrencyLimit)
                || (candidate.RateLimitKey is not null && starts >= candidate.RateLimit))
            {
                return false;
            }

            if (candidate.ConcurrencyKey is not null)
            {
                _running[candidate.ConcurrencyKey] = running + 1;
            }

            if (candidate.RateLimitKey is not null)
            {
                _starts[(candidate.RateLimitKey, candidate.RatePeriodMs)] = starts + 1;
            }

            return true;
        }
    }
}
