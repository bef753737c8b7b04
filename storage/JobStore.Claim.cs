using JobQueue.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace JobQueue.Storage;

/// <summary>The claim: lock due jobs, apply concurrency and rate limits, mark the chosen jobs running.</summary>
public sealed partial class JobStore
{
    // Rounds of one claim: a round after the first runs only when limits turned jobs away.
    private const int MaxClaimRounds = 3;

    /// <summary>
    /// Claims up to <paramref name="limit"/> available jobs for one pool, leased to the worker,
    /// without exceeding any job's concurrency or rate limit across all workers. Jobs without a
    /// limit key are claimed by one statement; those with a key then go through a short
    /// transaction that locks their keys and counts again.
    /// </summary>
    public async Task<IReadOnlyList<Job>> ClaimAsync(
        QueueFilter queues, int limit, string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        var (sql, settings) = queues.Queues is null ? (JobSql.JobClaimAny, JobSql.ClaimSettingsAnyQueue)
            : queues.Exclude ? (JobSql.JobClaimExceptQueues, JobSql.ClaimSettingsAnyQueue)
            : (JobSql.JobClaimInQueues, JobSql.ClaimSettingsInQueues);
        var claimed = new List<Job>();
        for (var round = 1; claimed.Count < limit; round++)
        {
            var keyed = new List<Job>();
            // One round trip: the planner settings, scoped to the batch's implicit transaction,
            // then the claim, committed when the batch ends.
            await using (var batch = dataSource.CreateBatch())
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(settings));
                var command = new NpgsqlBatchCommand(sql);
                command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = queues.Queues?.ToArray() ?? [] });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit - claimed.Count });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workerId });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)lease.TotalMilliseconds });
                batch.BatchCommands.Add(command);
                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    (reader.GetBoolean(0) ? claimed : keyed).Add(JobReader.Read(reader, offset: 1));
                }
            }

            if (keyed.Count == 0)
            {
                break;
            }

            var taken = await ClaimKeyedAsync(keyed, workerId, lease, cancellationToken);
            claimed.AddRange(taken);

            // Jobs turned away by a limit took candidate places that jobs behind them could have
            // had. Their keys are at the limit now, so the next round passes over them.
            if (taken.Count == keyed.Count || round == MaxClaimRounds)
            {
                break;
            }
        }

        // The order only matters for logs and tests, because the whole batch starts at once.
        claimed.Sort(ByPriority);
        return claimed;
    }

    private static int ByPriority(Job a, Job b) => a.Priority != b.Priority
        ? a.Priority.CompareTo(b.Priority)
        : a.ScheduledAt != b.ScheduledAt ? a.ScheduledAt.CompareTo(b.ScheduledAt) : a.Id.CompareTo(b.Id);

    // Serialises claims of the same keys across all workers with transaction-scoped advisory
    // locks, then counts with a fresh snapshot that includes every claim committed before the
    // locks were granted, and claims what the limits allow of jobs that are still available.
    private async Task<List<Job>> ClaimKeyedAsync(
        List<Job> keyed, string workerId, TimeSpan lease, CancellationToken cancellationToken)
    {
        keyed.Sort(ByPriority);
        var concurrencyKeys = keyed.Where(j => j.Concurrency is not null).Select(j => j.Concurrency!.Key).Distinct().ToArray();
        var rateKeys = keyed.Where(j => j.RateLimit is not null).Select(j => (j.RateLimit!.Key, PeriodMs(j.RateLimit))).Distinct().ToArray();
        var lockNames = concurrencyKeys.Select(k => "concurrency:" + k).Concat(rateKeys.Select(r => "rate:" + r.Key)).ToArray();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand(JobSql.LimitKeysLock, connection))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = lockNames });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        var usage = new LimitUsage();
        await using (var count = new NpgsqlCommand(JobSql.LimitKeysCount, connection))
        {
            count.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = concurrencyKeys });
            count.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rateKeys.Select(r => r.Key).ToArray() });
            count.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = rateKeys.Select(r => r.Item2).ToArray() });
            await using var reader = await count.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                usage.Set(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3));
            }
        }

        var chosen = keyed.Where(usage.TryTake).Select(j => j.Id).ToArray();
        var jobs = new List<Job>();
        if (chosen.Length > 0)
        {
            await using (var command = new NpgsqlCommand(JobSql.JobClaimLocked, connection))
            {
                command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = chosen });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workerId });
                command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)lease.TotalMilliseconds });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                jobs = await JobReader.ReadAllAsync(reader, cancellationToken);
            }

            var rateLimited = jobs.Where(j => j.RateLimit is not null).ToList();
            if (rateLimited.Count > 0)
            {
                await using var record = new NpgsqlCommand(JobSql.RateLimitStartsInsert, connection);
                record.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rateLimited.Select(j => j.RateLimit!.Key).ToArray() });
                record.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = rateLimited.Select(j => j.Id).ToArray() });
                await record.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return jobs;
    }

    private static int PeriodMs(RateLimitSpec rate) => (int)Math.Round(rate.PeriodSeconds * 1000);

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

    /// <summary>Running jobs and recent starts per key, counted up as this claim takes jobs.</summary>
    private sealed class LimitUsage
    {
        private readonly Dictionary<string, long> _running = new(StringComparer.Ordinal);
        private readonly Dictionary<(string Key, int PeriodMs), long> _starts = [];

        // Counts are read once per key, after its lock is held, so only this claim's own choices,
        // counted here, can raise them before it commits.
        public void Set(string kind, string key, int periodMs, long count)
        {
            if (kind == "concurrency")
            {
                _running[key] = count;
            }
            else
            {
                _starts[(key, periodMs)] = count;
            }
        }

        public bool TryTake(Job job)
        {
            var concurrency = job.Concurrency;
            var rate = job.RateLimit;
            var running = concurrency is null ? 0 : _running.GetValueOrDefault(concurrency.Key);
            var starts = rate is null ? 0 : _starts.GetValueOrDefault((rate.Key, PeriodMs(rate)));
            if ((concurrency is not null && running >= concurrency.Limit) || (rate is not null && starts >= rate.Limit))
            {
                return false;
            }

            if (concurrency is not null)
            {
                _running[concurrency.Key] = running + 1;
            }

            if (rate is not null)
            {
                _starts[(rate.Key, PeriodMs(rate))] = starts + 1;
            }

            return true;
        }
    }
}
