namespace JobQueue.Storage;

/// <summary>Every statement on <c>jobqueue.webhook_endpoints</c> and <c>jobqueue.job_attempts</c>.</summary>
internal static class WebhookEndpointSql
{
    /// <summary>The columns <see cref="WebhookEndpointStore"/> reads, in its order, of a table aliased <c>endpoint</c>.</summary>
    public const string Columns = """
        endpoint.id, endpoint.url, endpoint.kinds, endpoint.headers, endpoint.timeout_ms, endpoint.connect_timeout_ms,
        endpoint.response_headers_timeout_ms, endpoint.body_read_timeout_ms, endpoint.max_attempts, endpoint.retry_statuses,
        endpoint.concurrency_limit, endpoint.rate_limit, endpoint.rate_limit_period_ms, endpoint.enabled,
        endpoint.disabled_reason, endpoint.disabled_at, endpoint.secret,
        CASE WHEN endpoint.previous_secret_expires_at > now() THEN endpoint.previous_secret END,
        CASE WHEN endpoint.previous_secret_expires_at > now() THEN endpoint.previous_secret_expires_at END,
        endpoint.secret_rotated_at, endpoint.created_at, endpoint.updated_at
        """;

    /// <summary>
    /// Blocks other changes to endpoints until the transaction ends, so two requests cannot both
    /// give the same kind to different endpoints. Reads (the workers' refresh) are not blocked.
    /// </summary>
    public const string EndpointLockForChange = "LOCK TABLE jobqueue.webhook_endpoints IN SHARE ROW EXCLUSIVE MODE";

    /// <summary>Returns the lowest id of another endpoint (not $2) that serves one of the kinds $1, and those kinds.</summary>
    public const string EndpointFindKindOwner = """
        SELECT endpoint.id, ARRAY(SELECT unnest(endpoint.kinds) INTERSECT SELECT unnest($1::text[]))
        FROM jobqueue.webhook_endpoints AS endpoint
        WHERE endpoint.kinds && $1::text[] AND endpoint.id <> $2
        ORDER BY endpoint.id
        LIMIT 1
        """;

    // Parameters shared by insert and replace, from $2 on: url, kinds, headers, timeouts in ms
    // (total, connect, response headers or null, body read), max attempts, retry statuses,
    // concurrency limit, rate limit, rate period in ms, enabled.
    public const string EndpointInsert = $"""
        INSERT INTO jobqueue.webhook_endpoints AS endpoint
            (url, kinds, headers, timeout_ms, connect_timeout_ms, response_headers_timeout_ms, body_read_timeout_ms,
             max_attempts, retry_statuses, concurrency_limit, rate_limit, rate_limit_period_ms, enabled,
             disabled_reason, disabled_at, secret)
        VALUES ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                CASE WHEN $14 THEN NULL ELSE 'Disabled over the API.' END, CASE WHEN $14 THEN NULL ELSE now() END, $1)
        RETURNING {Columns}
        """;

    /// <summary>
    /// Replaces endpoint $1. Enabling clears a disable and its reason; disabling keeps the first
    /// disable's reason and time.
    /// </summary>
    public const string EndpointReplace = $"""
        UPDATE jobqueue.webhook_endpoints AS endpoint
        SET url = $2, kinds = $3, headers = $4, timeout_ms = $5, connect_timeout_ms = $6,
            response_headers_timeout_ms = $7, body_read_timeout_ms = $8, max_attempts = $9, retry_statuses = $10,
            concurrency_limit = $11, rate_limit = $12, rate_limit_period_ms = $13, enabled = $14,
            disabled_reason = CASE WHEN $14 THEN NULL ELSE coalesce(endpoint.disabled_reason, 'Disabled over the API.') END,
            disabled_at = CASE WHEN $14 THEN NULL ELSE coalesce(endpoint.disabled_at, now()) END,
            updated_at = now()
        WHERE endpoint.id = $1
        RETURNING {Columns}
        """;

    public const string EndpointDelete = "DELETE FROM jobqueue.webhook_endpoints WHERE id = $1";

    public const string EndpointGet = $"SELECT {Columns} FROM jobqueue.webhook_endpoints AS endpoint WHERE endpoint.id = $1";

    public const string EndpointList = $"SELECT {Columns} FROM jobqueue.webhook_endpoints AS endpoint ORDER BY endpoint.id";

    /// <summary>
    /// Makes $2 the secret of endpoint $1 and keeps the current one valid for $3 ms more, so
    /// deliveries carry both signatures while receivers switch over.
    /// </summary>
    public const string EndpointRotateSecret = $"""
        UPDATE jobqueue.webhook_endpoints AS endpoint
        SET previous_secret = endpoint.secret,
            previous_secret_expires_at = now() + $3 * interval '1 millisecond',
            secret = $2,
            secret_rotated_at = now(),
            updated_at = now()
        WHERE endpoint.id = $1
        RETURNING {Columns}
        """;

    /// <summary>Disables endpoint $1 with reason $2 unless it is disabled already. Returns whether it changed.</summary>
    public const string EndpointDisable = """
        UPDATE jobqueue.webhook_endpoints
        SET enabled = false, disabled_reason = $2, disabled_at = now(), updated_at = now()
        WHERE id = $1 AND enabled
        """;

    /// <summary>
    /// Brings the limits of the jobs that wait for endpoint $1 (key $2) in line with it, after it
    /// was created, replaced or deleted. A job that waits is scheduled, available or retryable; a
    /// running job keeps the key it was claimed under. Keys a job was enqueued with are kept. The
    /// state filter uses the index on state, so finished jobs are not read.
    /// </summary>
    // NOTE: an enqueue whose statement runs while this one commits may read the endpoint as it
    // was before, so its jobs keep the old limits (or none). Replacing the endpoint again fixes them.
    public const string JobApplyEndpointLimits = """
        WITH endpoint AS (SELECT * FROM jobqueue.webhook_endpoints WHERE id = $1)
        UPDATE jobqueue.jobs AS job
        SET concurrency_key = CASE WHEN job.concurrency_key <> $2 THEN job.concurrency_key
                                   WHEN job.kind = ANY (e.kinds) AND e.concurrency_limit IS NOT NULL THEN $2 END,
            concurrency_limit = CASE WHEN job.concurrency_key <> $2 THEN job.concurrency_limit
                                     WHEN job.kind = ANY (e.kinds) THEN e.concurrency_limit END,
            rate_limit_key = CASE WHEN job.rate_limit_key <> $2 THEN job.rate_limit_key
                                  WHEN job.kind = ANY (e.kinds) AND e.rate_limit IS NOT NULL THEN $2 END,
            rate_limit = CASE WHEN job.rate_limit_key <> $2 THEN job.rate_limit
                              WHEN job.kind = ANY (e.kinds) THEN e.rate_limit END,
            rate_limit_period_ms = CASE WHEN job.rate_limit_key <> $2 THEN job.rate_limit_period_ms
                                        WHEN job.kind = ANY (e.kinds) THEN e.rate_limit_period_ms END
        FROM (SELECT coalesce((SELECT kinds FROM endpoint), '{}') AS kinds,
                     (SELECT concurrency_limit FROM endpoint) AS concurrency_limit,
                     (SELECT rate_limit FROM endpoint) AS rate_limit,
                     (SELECT rate_limit_period_ms FROM endpoint) AS rate_limit_period_ms) AS e
        WHERE job.state IN ('scheduled', 'available', 'retryable')
          AND job.webhook_url IS NULL
          AND (job.concurrency_key = $2 OR job.rate_limit_key = $2
               OR (job.kind = ANY (e.kinds) AND (job.concurrency_key IS NULL OR job.rate_limit_key IS NULL)))
        """;

    /// <summary>
    /// Records webhook attempts, one per element of the arrays $1 (job ids) to $10; a second
    /// record of the same attempt is ignored.
    /// </summary>
    public const string JobAttemptInsertMany = """
        INSERT INTO jobqueue.job_attempts
            (job_id, attempt, started_at, latency_ms, url, endpoint_id, status_code, response_headers, response_body, error)
        SELECT * FROM unnest($1::bigint[], $2::integer[], $3::timestamptz[], $4::float8[], $5::text[],
                             $6::bigint[], $7::integer[], $8::jsonb[], $9::text[], $10::text[])
        ON CONFLICT (job_id, attempt) DO NOTHING
        """;

    public const string JobAttemptList = """
        SELECT attempt, started_at, latency_ms, url, endpoint_id, status_code, response_headers, response_body, error
        FROM jobqueue.job_attempts
        WHERE job_id = $1
        ORDER BY attempt
        """;
}
