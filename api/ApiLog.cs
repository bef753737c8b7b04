namespace JobQueue.Api;

/// <summary>Log messages of the API host. Event ids 2000–2999 belong to the API.</summary>
internal static partial class ApiLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Error,
        Message = "Unhandled exception on {Method} {Path}; answered 500 with trace id {TraceId}")]
    public static partial void UnhandledException(ILogger logger, Exception exception, string method, PathString path, string traceId);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning,
        Message = "Database unavailable on {Method} {Path}; answered 503 with Retry-After {RetryAfterSeconds} s")]
    public static partial void DatabaseUnavailable(
        ILogger logger, Exception exception, string method, PathString path, int retryAfterSeconds);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning,
        Message = "Database rejected a value on {Method} {Path} with SQLSTATE {SqlState}; answered 400")]
    public static partial void DatabaseRejectedValue(
        ILogger logger, Exception exception, string method, PathString path, string sqlState);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, Message = "Client aborted {Method} {Path}")]
    public static partial void RequestAborted(ILogger logger, string method, PathString path);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error,
        Message = "Exception after the response to {Method} {Path} had started; the connection is closed")]
    public static partial void ExceptionAfterResponseStarted(ILogger logger, Exception exception, string method, PathString path);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Applying database migrations at start-up")]
    public static partial void MigratingOnStartup(ILogger logger);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information,
        Message = "Skipping migrations at start-up because Database:MigrateOnStartup is false")]
    public static partial void MigrationSkipped(ILogger logger);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Information, Message = "Wrote the OpenAPI document to {Path}")]
    public static partial void OpenApiWritten(ILogger logger, string path);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Debug, Message = "Enqueued {Count} jobs, first id {FirstJobId}")]
    public static partial void JobsEnqueued(ILogger logger, int count, long firstJobId);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Information, Message = "Cancel of job {JobId} accepted; state is now {State}")]
    public static partial void JobCancelled(ILogger logger, long jobId, Contracts.JobState state);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Information, Message = "Job {JobId} retried over the API")]
    public static partial void JobRetried(ILogger logger, long jobId);

    [LoggerMessage(EventId = 2023, Level = LogLevel.Information, Message = "Queue {Queue} paused over the API")]
    public static partial void QueuePaused(ILogger logger, string queue);

    [LoggerMessage(EventId = 2024, Level = LogLevel.Information, Message = "Queue {Queue} resumed over the API")]
    public static partial void QueueResumed(ILogger logger, string queue);

    [LoggerMessage(EventId = 2025, Level = LogLevel.Information, Message = "Deleted {Count} expired idempotency keys")]
    public static partial void IdempotencyKeysDeleted(ILogger logger, int count);

    [LoggerMessage(EventId = 2026, Level = LogLevel.Warning,
        Message = "Deleting expired idempotency keys failed; trying again in {IntervalMinutes} minutes")]
    public static partial void IdempotencyKeyCleanupFailed(ILogger logger, Exception exception, double intervalMinutes);

    [LoggerMessage(EventId = 2027, Level = LogLevel.Warning,
        Message = "Removing the in-flight marker of idempotency key {IdempotencyKey} on {Endpoint} failed; " +
            "the key stays blocked until Api:IdempotencyInFlightTimeout")]
    public static partial void IdempotencyKeyReleaseFailed(ILogger logger, Exception exception, string endpoint, string idempotencyKey);

    [LoggerMessage(EventId = 2040, Level = LogLevel.Information,
        Message = "Execution mode is {Mode}: this API process runs jobs itself")]
    public static partial void RunningWorkerInProcess(ILogger logger, ExecutionMode mode);

    [LoggerMessage(EventId = 2050, Level = LogLevel.Warning,
        Message = "Api:Auth:Mode is none: the API accepts requests without API keys. This is allowed only because every " +
            "URL it listens on is loopback ({Urls}); never use this mode where other machines can connect")]
    public static partial void KeylessModeActive(ILogger logger, string urls);

    [LoggerMessage(EventId = 2051, Level = LogLevel.Critical, Message = "{Reason}")]
    public static partial void KeylessModeRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 2052, Level = LogLevel.Information, Message = "API key {KeyId} ({KeyName}) created by {CreatedBy}")]
    public static partial void KeyCreated(ILogger logger, string keyId, string keyName, string createdBy);

    [LoggerMessage(EventId = 2053, Level = LogLevel.Information, Message = "API key {KeyId} ({KeyName}) revoked by {RevokedBy}")]
    public static partial void KeyRevoked(ILogger logger, string keyId, string keyName, string revokedBy);

    [LoggerMessage(EventId = 2054, Level = LogLevel.Warning, Message = "Updating last_used_at of API key {KeyId} failed")]
    public static partial void KeyLastUsedWriteFailed(ILogger logger, Exception exception, string keyId);

    [LoggerMessage(EventId = 2055, Level = LogLevel.Error,
        Message = "Writing the audit entry of {Action} by key {KeyId} (status {Status}) failed; the action is not in the audit log")]
    public static partial void AuditWriteFailed(ILogger logger, Exception exception, string action, string keyId, int status);

    [LoggerMessage(EventId = 2056, Level = LogLevel.Warning,
        Message = "{Count} failed authentications in the last minute were not written to the audit log, " +
            "which takes at most {Limit} a minute (Api:Audit:MaxFailedAuthenticationEntriesPerMinute)")]
    public static partial void FailedAuthenticationNotAudited(ILogger logger, int count, int limit);

    [LoggerMessage(EventId = 2057, Level = LogLevel.Information, Message = "Deleted {Count} audit entries past their retention")]
    public static partial void AuditEntriesDeleted(ILogger logger, int count);

    [LoggerMessage(EventId = 2058, Level = LogLevel.Warning,
        Message = "Deleting old audit entries failed; trying again in {IntervalMinutes} minutes")]
    public static partial void AuditCleanupFailed(ILogger logger, Exception exception, double intervalMinutes);

    [LoggerMessage(EventId = 2030, Level = LogLevel.Warning,
        Message = "Readiness check failed: the database could not be reached")]
    public static partial void ReadinessDatabaseUnreachable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Warning,
        Message = "Readiness check failed: the database lacks migrations {Versions} of this build")]
    public static partial void ReadinessSchemaBehind(ILogger logger, string versions);
}
