using Npgsql;
using NpgsqlTypes;

namespace JobQueue.Storage;

/// <summary>
/// Reads and writes schedules, and runs the scheduler's transaction that turns due slots into
/// jobs. All SQL on <c>jobqueue.schedules</c> and <c>jobqueue.schedule_runs</c> is in
/// <see cref="ScheduleSql"/>.
/// </summary>
public sealed class ScheduleStore(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<ScheduleRow>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ScheduleSql.ScheduleList);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<ScheduleRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Read(reader));
        }

        return rows;
    }

    public async Task<ScheduleRow?> GetAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ScheduleSql.ScheduleGet);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Creates or replaces a schedule defined over the API. Returns the stored row and whether it
    /// was created, or null when a schedule of that name comes from configuration.
    /// </summary>
    public async Task<(ScheduleRow Row, bool Created)?> UpsertFromApiAsync(ScheduleRow schedule, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ScheduleSql.ScheduleUpsertFromApi);
        AddDefinitionParameters(command, schedule);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return (Read(reader), reader.GetBoolean(ColumnCount));
    }

    /// <summary>
    /// Writes the schedules from configuration in one transaction and deletes the configuration
    /// schedules that are no longer listed. A row is rewritten only when its entry's digest
    /// changed. Returns the names deleted.
    /// </summary>
    public async Task<IReadOnlyList<string>> SyncConfigAsync(IReadOnlyList<ScheduleRow> schedules, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var schedule in schedules)
        {
            await using var upsert = new NpgsqlCommand(ScheduleSql.ScheduleUpsertFromConfig, connection, transaction);
            AddDefinitionParameters(upsert, schedule);
            upsert.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = schedule.ConfigDigest, NpgsqlDbType = NpgsqlDbType.Text });
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        var deleted = new List<string>();
        await using (var delete = new NpgsqlCommand(ScheduleSql.ScheduleDeleteConfigExcept, connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = schedules.Select(s => s.Name).ToArray() });
            await using var reader = await delete.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                deleted.Add(reader.GetString(0));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

    /// <summary>Deletes a schedule. Returns its source (<c>api</c> or <c>config</c>), or null when it did not exist.</summary>
    public async Task<string?> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ScheduleSql.ScheduleDelete);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>
    /// Enables or disables a schedule under its row lock. <paramref name="nextRunAt"/> computes the
    /// next slot of a schedule being enabled; a schedule that stays enabled keeps its next slot,
    /// and a disabled one has none. Returns the changed row, or null when it does not exist.
    /// </summary>
    public async Task<ScheduleRow?> SetEnabledAsync(
        string name, bool enabled, Func<ScheduleRow, DateTimeOffset?> nextRunAt, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await LockAsync(name, connection, transaction, cancellationToken);
        if (current is null)
        {
            return null;
        }

        DateTimeOffset? next = null;
        if (enabled)
        {
            next = current.Enabled ? current.NextRunAt : nextRunAt(current);
        }
        await using var update = new NpgsqlCommand(ScheduleSql.ScheduleSetEnabled, connection, transaction);
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        update.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = enabled });
        update.Parameters.Add(new NpgsqlParameter<DateTimeOffset?> { TypedValue = next?.ToUniversalTime() });
        ScheduleRow changed;
        await using (var reader = await update.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            changed = Read(reader);
        }

        await transaction.CommitAsync(cancellationToken);
        return changed;
    }

    /// <summary>
    /// Enqueues one job of the schedule now, outside its slots, and records it as the latest run.
    /// Returns the job and the changed row, or null when the schedule does not exist.
    /// </summary>
    public async Task<(Contracts.Job Job, ScheduleRow Row)?> RunNowAsync(
        string name, DateTimeOffset now, Func<ScheduleRow, NewJob> jobFor, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await LockAsync(name, connection, transaction, cancellationToken);
        if (current is null)
        {
            return null;
        }

        var job = await InsertJobAsync(jobFor(current), connection, transaction, cancellationToken);
        await using var record = new NpgsqlCommand(ScheduleSql.ScheduleRecordRun, connection, transaction);
        record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        record.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now.ToUniversalTime() });
        record.Parameters.Add(new NpgsqlParameter<long> { TypedValue = job.Id });
        ScheduleRow changed;
        await using (var reader = await record.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            changed = Read(reader);
        }

        await transaction.CommitAsync(cancellationToken);
        return (job, changed);
    }

    /// <summary>
    /// Returns up to <paramref name="limit"/> enabled schedules whose next slot is at or before
    /// <paramref name="horizon"/>, earliest first.
    /// </summary>
    public async Task<IReadOnlyList<(string Name, DateTimeOffset NextRunAt)>> ListDueAsync(
        DateTimeOffset horizon, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ScheduleSql.ScheduleListDue);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = horizon.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var due = new List<(string, DateTimeOffset)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            due.Add((reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }

        return due;
    }

    /// <summary>
    /// Handles the due slots of one schedule in one transaction. It locks the row, and returns
    /// null when another worker has it locked or it is no longer due. <paramref name="plan"/>
    /// returns the slots to run and the next slot. Each slot is claimed by inserting its row and
    /// gets a job unless the overlap policy skips it. Then the next slot is moved forward.
    /// </summary>
    public async Task<ScheduleAdvance?> AdvanceAsync(
        string name,
        DateTimeOffset now,
        Func<ScheduleRow, SlotPlan> plan,
        Func<ScheduleRow, DateTimeOffset, NewJob> jobFor,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        ScheduleRow row;
        bool lastJobUnfinished;
        await using (var select = new NpgsqlCommand(ScheduleSql.ScheduleLockDue, connection, transaction))
        {
            select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
            select.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now.ToUniversalTime() });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            row = Read(reader);
            lastJobUnfinished = reader.GetBoolean(ColumnCount);
        }

        var slotPlan = plan(row);
        var enqueued = new List<(DateTimeOffset Slot, long JobId)>();
        var skipped = new List<DateTimeOffset>();
        var taken = new List<DateTimeOffset>();
        foreach (var slot in slotPlan.Slots)
        {
            // With the overlap policy 'skip', a slot is recorded as skipped while the latest job is
            // unfinished, including a job enqueued moments ago for an earlier slot of this pass.
            var skip = row.Overlap == "skip" && lastJobUnfinished;
            if (!await InsertRunAsync(name, slot, skip ? "skipped_overlap" : "enqueued", connection, transaction, cancellationToken))
            {
                taken.Add(slot);
                continue;
            }

            if (skip)
            {
                skipped.Add(slot);
                continue;
            }

            var job = await InsertJobAsync(jobFor(row, slot), connection, transaction, cancellationToken);
            await using (var link = new NpgsqlCommand(ScheduleSql.RunSetJob, connection, transaction))
            {
                link.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
                link.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = slot.ToUniversalTime() });
                link.Parameters.Add(new NpgsqlParameter<long> { TypedValue = job.Id });
                await link.ExecuteNonQueryAsync(cancellationToken);
            }

            enqueued.Add((slot, job.Id));
            lastJobUnfinished = true;
        }

        await using (var advance = new NpgsqlCommand(ScheduleSql.ScheduleAdvance, connection, transaction))
        {
            var latest = enqueued.Count > 0 ? enqueued[^1] : ((DateTimeOffset, long)?)null;
            advance.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
            advance.Parameters.Add(new NpgsqlParameter<DateTimeOffset?> { TypedValue = slotPlan.NextRunAt?.ToUniversalTime() });
            advance.Parameters.Add(new NpgsqlParameter<DateTimeOffset?> { TypedValue = latest?.Item1.ToUniversalTime() });
            advance.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = latest?.Item2 });
            await advance.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new ScheduleAdvance(row, enqueued, skipped, taken, slotPlan.NextRunAt);
    }

    /// <summary>Returns the handled slots of a schedule, oldest first.</summary>
    public async Task<IReadOnlyList<ScheduleRun>> ListRunsAsync(string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ScheduleSql.RunList);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var runs = new List<ScheduleRun>();
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new ScheduleRun(
                reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2)));
        }

        return runs;
    }

    /// <summary>Deletes up to <paramref name="batchSize"/> handled slots recorded before <paramref name="cutoff"/>.</summary>
    public async Task<int> DeleteOldRunsAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ScheduleSql.RunDeleteOld);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = cutoff.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private const int ColumnCount = 15;

    private static async Task<bool> InsertRunAsync(
        string name, DateTimeOffset slot, string outcome, NpgsqlConnection connection, NpgsqlTransaction transaction,
        CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(ScheduleSql.RunInsert, connection, transaction);
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = slot.ToUniversalTime() });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = outcome });
        return await insert.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static async Task<Contracts.Job> InsertJobAsync(
        NewJob job, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(JobSql.JobInsertMany, connection, transaction);
        JobStore.AddInsertParameters(insert, [job], null, null);
        await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
        return (await JobReader.ReadAllAsync(reader, cancellationToken))[0];
    }

    private static async Task<ScheduleRow?> LockAsync(
        string name, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var select = new NpgsqlCommand(ScheduleSql.ScheduleLock, connection, transaction);
        select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    // Binds the first nine parameters of the upsert statements.
    private static void AddDefinitionParameters(NpgsqlCommand command, ScheduleRow schedule)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schedule.Name });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schedule.Cron });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schedule.TimeZone });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = schedule.Enabled });
        command.Parameters.Add(new NpgsqlParameter { Value = schedule.JobJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schedule.Missed });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = schedule.CatchUpLimit });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = schedule.Overlap });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?> { TypedValue = schedule.NextRunAt?.ToUniversalTime() });
    }

    private static ScheduleRow Read(NpgsqlDataReader reader) => new(
        Name: reader.GetString(0),
        Cron: reader.GetString(1),
        TimeZone: reader.GetString(2),
        Enabled: reader.GetBoolean(3),
        JobJson: reader.GetString(4),
        Missed: reader.GetString(5),
        CatchUpLimit: reader.GetInt32(6),
        Overlap: reader.GetString(7),
        Source: reader.GetString(8),
        NextRunAt: reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10))
    {
        ConfigDigest = reader.IsDBNull(9) ? null : reader.GetString(9),
        LastRunAt = reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
        LastJobId = reader.IsDBNull(12) ? null : reader.GetInt64(12),
        CreatedAt = reader.GetFieldValue<DateTimeOffset>(13),
        UpdatedAt = reader.GetFieldValue<DateTimeOffset>(14),
    };
}

/// <summary>
/// A schedule as stored. <see cref="JobJson"/> is the job template in its wire form; policies
/// are their wire names (<c>skip</c>, <c>once</c>, <c>catch_up</c>; <c>allow</c>, <c>skip</c>).
/// </summary>
public sealed record ScheduleRow(
    string Name,
    string Cron,
    string TimeZone,
    bool Enabled,
    string JobJson,
    string Missed,
    int CatchUpLimit,
    string Overlap,
    string Source,
    DateTimeOffset? NextRunAt)
{
    /// <summary>SHA-256 of the configuration entry a <c>config</c> schedule was written from.</summary>
    public string? ConfigDigest { get; init; }

    public DateTimeOffset? LastRunAt { get; init; }

    public long? LastJobId { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>The slots to run now, oldest first, and the next slot after them (null when there is none).</summary>
public sealed record SlotPlan(IReadOnlyList<DateTimeOffset> Slots, DateTimeOffset? NextRunAt);

/// <summary>
/// What one scheduler pass did with a schedule: the slots it enqueued jobs for, those it skipped
/// because the previous job had not finished, and those another worker had already claimed.
/// </summary>
public sealed record ScheduleAdvance(
    ScheduleRow Schedule,
    IReadOnlyList<(DateTimeOffset Slot, long JobId)> Enqueued,
    IReadOnlyList<DateTimeOffset> SkippedOverlap,
    IReadOnlyList<DateTimeOffset> AlreadyClaimed,
    DateTimeOffset? NextRunAt);

/// <summary>One handled slot: <c>enqueued</c> with its job, or <c>skipped_overlap</c>.</summary>
public sealed record ScheduleRun(DateTimeOffset SlotAt, string Outcome, long? JobId);
