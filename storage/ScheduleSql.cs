namespace JobQueue.Storage;

/// <summary>
/// Every statement on <c>jobqueue.schedules</c> and <c>jobqueue.schedule_runs</c>, one named
/// member each. The jobs a schedule enqueues are inserted with <see cref="JobSql.JobInsertMany"/>.
/// </summary>
internal static class ScheduleSql
{
    /// <summary>The columns <see cref="ScheduleStore"/> reads, in its order, of a table aliased <c>s</c>.</summary>
    public const string Columns = """
        s.name, s.cron, s.time_zone, s.enabled, s.job, s.missed, s.catch_up_limit, s.overlap, s.source,
        s.config_digest, s.next_run_at, s.last_run_at, s.last_job_id, s.created_at, s.updated_at
        """;

    public const string ScheduleList = $"SELECT {Columns} FROM jobqueue.schedules AS s ORDER BY s.name";

    public const string ScheduleGet = $"SELECT {Columns} FROM jobqueue.schedules AS s WHERE s.name = $1";

    /// <summary>
    /// Creates or replaces a schedule defined over the API. A row from configuration is left
    /// alone, so the statement then returns nothing. The next slot is kept when the cron
    /// expression, time zone and enabled flag are unchanged, so a replacement neither repeats nor
    /// drops the slot that is about to come. Parameters: name, cron, time zone, enabled, job
    /// (jsonb), missed, catch-up limit, overlap, next slot. The last column is true on insert.
    /// </summary>
    public const string ScheduleUpsertFromApi = $"""
        INSERT INTO jobqueue.schedules AS s
            (name, cron, time_zone, enabled, job, missed, catch_up_limit, overlap, source, next_run_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'api', $9)
        ON CONFLICT (name) DO UPDATE SET
            cron = excluded.cron, time_zone = excluded.time_zone, enabled = excluded.enabled, job = excluded.job,
            missed = excluded.missed, catch_up_limit = excluded.catch_up_limit, overlap = excluded.overlap,
            next_run_at = CASE
                WHEN s.cron = excluded.cron AND s.time_zone = excluded.time_zone AND s.enabled = excluded.enabled
                THEN s.next_run_at ELSE excluded.next_run_at END,
            updated_at = now()
        WHERE s.source = 'api'
        RETURNING {Columns}, (xmax = 0) AS inserted
        """;

    /// <summary>
    /// Writes a schedule from configuration unless the row was written from the same entry
    /// before (same digest). Takes over a schedule of the same name created over the API.
    /// Parameters as <see cref="ScheduleUpsertFromApi"/>, then the digest.
    /// </summary>
    public const string ScheduleUpsertFromConfig = """
        INSERT INTO jobqueue.schedules AS s
            (name, cron, time_zone, enabled, job, missed, catch_up_limit, overlap, source, next_run_at, config_digest)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'config', $9, $10)
        ON CONFLICT (name) DO UPDATE SET
            cron = excluded.cron, time_zone = excluded.time_zone, enabled = excluded.enabled, job = excluded.job,
            missed = excluded.missed, catch_up_limit = excluded.catch_up_limit, overlap = excluded.overlap,
            source = 'config', config_digest = excluded.config_digest,
            next_run_at = CASE
                WHEN s.cron = excluded.cron AND s.time_zone = excluded.time_zone AND s.enabled = excluded.enabled
                THEN s.next_run_at ELSE excluded.next_run_at END,
            updated_at = now()
        WHERE s.config_digest IS DISTINCT FROM excluded.config_digest
        """;

    /// <summary>Deletes the schedules from configuration whose names are not in the array parameter.</summary>
    public const string ScheduleDeleteConfigExcept = """
        DELETE FROM jobqueue.schedules WHERE source = 'config' AND NOT (name = ANY($1)) RETURNING name
        """;

    /// <summary>Deletes a schedule and its handled slots. Returns its source when it was deleted.</summary>
    public const string ScheduleDelete = "DELETE FROM jobqueue.schedules WHERE name = $1 RETURNING source";

    public const string ScheduleLock = $"SELECT {Columns} FROM jobqueue.schedules AS s WHERE s.name = $1 FOR UPDATE";

    /// <summary>Sets the enabled flag and the next slot. Parameters: name, enabled, next slot.</summary>
    public const string ScheduleSetEnabled = $"""
        UPDATE jobqueue.schedules AS s SET enabled = $2, next_run_at = $3, updated_at = now()
        WHERE s.name = $1
        RETURNING {Columns}
        """;

    /// <summary>Records a job enqueued by a schedule. Parameters: name, run time, job id.</summary>
    public const string ScheduleRecordRun = $"""
        UPDATE jobqueue.schedules AS s SET last_run_at = $2, last_job_id = $3
        WHERE s.name = $1
        RETURNING {Columns}
        """;

    /// <summary>
    /// Enabled schedules whose next slot is at or before the parameter, earliest first, to
    /// learn which are due and how long to sleep. Parameters: horizon, limit.
    /// </summary>
    public const string ScheduleListDue = """
        SELECT name, next_run_at FROM jobqueue.schedules
        WHERE enabled AND next_run_at <= $1
        ORDER BY next_run_at
        LIMIT $2
        """;

    /// <summary>
    /// Locks one due schedule for the scheduler, skipping it when another worker has it locked.
    /// The last column is true while its latest job is unfinished; a job deleted by retention
    /// counts as finished. Parameters: name, now.
    /// </summary>
    public const string ScheduleLockDue = $"""
        SELECT {Columns},
               coalesce(last_job.state NOT IN ('completed', 'cancelled', 'discarded'), false) AS last_job_unfinished
        FROM jobqueue.schedules AS s
        LEFT JOIN jobqueue.jobs AS last_job ON last_job.id = s.last_job_id
        WHERE s.name = $1 AND s.enabled AND s.next_run_at <= $2
        FOR UPDATE OF s SKIP LOCKED
        """;

    /// <summary>
    /// Claims a slot. The primary key (schedule name, slot time) lets exactly one transaction
    /// insert the row; the others get no row back and enqueue nothing. Parameters: name, slot, outcome.
    /// </summary>
    public const string RunInsert = """
        INSERT INTO jobqueue.schedule_runs (schedule_name, slot_at, outcome) VALUES ($1, $2, $3)
        ON CONFLICT (schedule_name, slot_at) DO NOTHING
        RETURNING slot_at
        """;

    /// <summary>Links a claimed slot to its job. Parameters: name, slot, job id.</summary>
    public const string RunSetJob = "UPDATE jobqueue.schedule_runs SET job_id = $3 WHERE schedule_name = $1 AND slot_at = $2";

    /// <summary>
    /// Moves the next slot forward after the scheduler handled the due ones, and records the
    /// latest job when one was enqueued. Parameters: name, next slot, slot of the latest job and
    /// its id (both null when no job was enqueued).
    /// </summary>
    public const string ScheduleAdvance = """
        UPDATE jobqueue.schedules
        SET next_run_at = $2, last_run_at = coalesce($3, last_run_at), last_job_id = coalesce($4, last_job_id)
        WHERE name = $1
        """;

    /// <summary>Deletes up to a batch of handled slots recorded before the parameter. Parameters: cutoff, batch size.</summary>
    public const string RunDeleteOld = """
        DELETE FROM jobqueue.schedule_runs
        WHERE ctid = ANY (ARRAY(
            SELECT ctid FROM jobqueue.schedule_runs WHERE created_at < $1 ORDER BY created_at LIMIT $2))
        """;

    /// <summary>Handled slots of a schedule, oldest first. Parameters: name.</summary>
    public const string RunList = """
        SELECT slot_at, outcome, job_id FROM jobqueue.schedule_runs WHERE schedule_name = $1 ORDER BY slot_at
        """;
}
