using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace JobQueue.Storage;

/// <summary>
/// Webhook endpoints managed over the API, and the record of each webhook attempt. Every change
/// to an endpoint also brings the limits of the jobs waiting for it in line, in one transaction.
/// </summary>
public sealed class WebhookEndpointStore(NpgsqlDataSource dataSource)
{
    /// <summary>Prefix of the concurrency and rate-limit keys that endpoints put on their jobs.</summary>
    public const string LimitKeyPrefix = "endpoint:";

    /// <summary>The limit key of endpoint <paramref name="id"/>.</summary>
    public static string LimitKey(long id) => LimitKeyPrefix + id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Inserts an endpoint with <paramref name="secret"/>, or returns the conflict when one of its kinds is taken.</summary>
    public Task<EndpointChange> CreateAsync(EndpointSettings settings, string secret, CancellationToken cancellationToken) =>
        ChangeAsync(null, settings, secret, cancellationToken);

    /// <summary>Replaces endpoint <paramref name="id"/>; <see cref="EndpointChange.Endpoint"/> is null when it does not exist.</summary>
    public Task<EndpointChange> ReplaceAsync(long id, EndpointSettings settings, CancellationToken cancellationToken) =>
        ChangeAsync(id, settings, null, cancellationToken);

    /// <summary>Deletes the endpoint and drops its limits from the jobs that wait for it. Returns false when it did not exist.</summary>
    public async Task<bool> DeleteAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, WebhookEndpointSql.EndpointLockForChange, cancellationToken);
        await using (var delete = new NpgsqlCommand(WebhookEndpointSql.EndpointDelete, connection))
        {
            delete.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
            if (await delete.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        await ApplyLimitsAsync(connection, id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<WebhookEndpointRow?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(WebhookEndpointSql.EndpointGet);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Returns every endpoint in id order, with the secrets that sign deliveries now.</summary>
    public async Task<IReadOnlyList<WebhookEndpointRow>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(WebhookEndpointSql.EndpointList);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<WebhookEndpointRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(Read(reader));
        }

        return rows;
    }

    /// <summary>
    /// Makes <paramref name="secret"/> the endpoint's secret and keeps the current one valid for
    /// <paramref name="previousValidFor"/>. Returns null when the endpoint does not exist.
    /// </summary>
    public async Task<WebhookEndpointRow?> RotateSecretAsync(
        long id, string secret, TimeSpan previousValidFor, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(WebhookEndpointSql.EndpointRotateSecret);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = secret });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = (long)previousValidFor.TotalMilliseconds });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Disables an enabled endpoint with <paramref name="reason"/>. Returns false when it was disabled or gone already.</summary>
    public async Task<bool> DisableAsync(long id, string reason, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(WebhookEndpointSql.EndpointDisable);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = reason });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    // Records that arrive together share one INSERT and one commit: a commit per delivery held
    // a webhook drain to about one fsync per job.
    private StatementBatcher<AttemptRecord, bool>? _records;

    /// <summary>
    /// Stores the record of one webhook attempt, in one statement with the other records waiting
    /// at the time. Cancelling stops the wait; the record may still be stored.
    /// </summary>
    public Task RecordAttemptAsync(AttemptRecord record, CancellationToken cancellationToken)
    {
        var batcher = LazyInitializer.EnsureInitialized(
            ref _records, () => new StatementBatcher<AttemptRecord, bool>(RecordAttemptsAsync));
        return batcher.RunAsync(record, cancellationToken);
    }

    private async Task<IReadOnlyList<bool>> RecordAttemptsAsync(IReadOnlyList<AttemptRecord> records)
    {
        await using var command = dataSource.CreateCommand(WebhookEndpointSql.JobAttemptInsertMany);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = records.Select(r => r.JobId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = records.Select(r => r.Attempt).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = records.Select(r => r.StartedAt.ToUniversalTime()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<double[]> { TypedValue = records.Select(r => r.LatencyMs).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = records.Select(r => r.Url).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long?[]> { TypedValue = records.Select(r => r.EndpointId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int?[]> { TypedValue = records.Select(r => r.StatusCode).ToArray() });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = records.Select(r => JsonSerializer.Serialize(r.ResponseHeaders)).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
        });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = records.Select(r => Clean(r.ResponseBody)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = records.Select(r => Clean(r.Error)).ToArray() });
        await command.ExecuteNonQueryAsync();
        return records.Select(_ => true).ToList();
    }

    /// <summary>Returns the webhook attempts of job <paramref name="jobId"/>, oldest first.</summary>
    public async Task<IReadOnlyList<Contracts.JobAttempt>> ListAttemptsAsync(long jobId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(WebhookEndpointSql.JobAttemptList);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = jobId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var attempts = new List<Contracts.JobAttempt>();
        while (await reader.ReadAsync(cancellationToken))
        {
            attempts.Add(new Contracts.JobAttempt
            {
                Attempt = reader.GetInt32(0),
                StartedAt = reader.GetFieldValue<DateTimeOffset>(1),
                LatencyMs = reader.GetDouble(2),
                Url = reader.GetString(3),
                EndpointId = reader.IsDBNull(4) ? null : reader.GetInt64(4),
                StatusCode = reader.IsDBNull(5) ? null : reader.GetInt32(5),
                ResponseHeaders = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(6)) ?? [],
                ResponseBody = reader.IsDBNull(7) ? null : reader.GetString(7),
                Error = reader.IsDBNull(8) ? null : reader.GetString(8),
            });
        }

        return attempts;
    }

    // PostgreSQL text cannot hold U+0000, and a response body may contain anything.
    private static string? Clean(string? text) => text?.Replace('\0', '\uFFFD');

    private async Task<EndpointChange> ChangeAsync(
        long? id, EndpointSettings settings, string? secret, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, WebhookEndpointSql.EndpointLockForChange, cancellationToken);
        await using (var find = new NpgsqlCommand(WebhookEndpointSql.EndpointFindKindOwner, connection))
        {
            find.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = settings.Kinds.ToArray() });
            find.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id ?? 0 });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                return new EndpointChange(null, new KindConflict(reader.GetInt64(0), reader.GetFieldValue<string[]>(1)));
            }
        }

        WebhookEndpointRow? row;
        await using (var command = new NpgsqlCommand(id is null ? WebhookEndpointSql.EndpointInsert : WebhookEndpointSql.EndpointReplace, connection))
        {
            command.Parameters.Add(id is null
                ? new NpgsqlParameter<string> { TypedValue = secret! }
                : new NpgsqlParameter<long> { TypedValue = id.Value });
            AddSettings(command, settings);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            row = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        }

        if (row is null)
        {
            return new EndpointChange(null, null);
        }

        await ApplyLimitsAsync(connection, row.Id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new EndpointChange(row, null);
    }

    private static async Task ApplyLimitsAsync(NpgsqlConnection connection, long id, CancellationToken cancellationToken)
    {
        await using var apply = new NpgsqlCommand(WebhookEndpointSql.JobApplyEndpointLimits, connection);
        apply.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        apply.Parameters.Add(new NpgsqlParameter<string> { TypedValue = LimitKey(id) });
        await apply.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddSettings(NpgsqlCommand command, EndpointSettings settings)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.Url });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = settings.Kinds.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(settings.Headers), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.TimeoutMs });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.ConnectTimeoutMs });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)settings.ResponseHeadersTimeoutMs ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.BodyReadTimeoutMs });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)settings.MaxAttempts ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = settings.RetryStatuses.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)settings.ConcurrencyLimit ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)settings.RateLimit ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = settings.RateLimit is null ? DBNull.Value : settings.RateLimitPeriodMs,
            NpgsqlDbType = NpgsqlDbType.Integer,
        });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = settings.Enabled });
    }

    private static WebhookEndpointRow Read(NpgsqlDataReader reader) => new(
        Id: reader.GetInt64(0),
        Url: reader.GetString(1),
        Kinds: reader.GetFieldValue<string[]>(2),
        Headers: JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(3)) ?? [],
        TimeoutMs: reader.GetInt32(4),
        ConnectTimeoutMs: reader.GetInt32(5),
        ResponseHeadersTimeoutMs: reader.IsDBNull(6) ? null : reader.GetInt32(6),
        BodyReadTimeoutMs: reader.GetInt32(7),
        MaxAttempts: reader.IsDBNull(8) ? null : reader.GetInt32(8),
        RetryStatuses: reader.GetFieldValue<int[]>(9),
        ConcurrencyLimit: reader.IsDBNull(10) ? null : reader.GetInt32(10),
        RateLimit: reader.IsDBNull(11) ? null : reader.GetInt32(11),
        RateLimitPeriodMs: reader.IsDBNull(12) ? null : reader.GetInt32(12),
        Enabled: reader.GetBoolean(13),
        DisabledReason: reader.IsDBNull(14) ? null : reader.GetString(14),
        DisabledAt: reader.IsDBNull(15) ? null : reader.GetFieldValue<DateTimeOffset>(15),
        Secret: reader.GetString(16),
        PreviousSecret: reader.IsDBNull(17) ? null : reader.GetString(17),
        PreviousSecretExpiresAt: reader.IsDBNull(18) ? null : reader.GetFieldValue<DateTimeOffset>(18),
        SecretRotatedAt: reader.IsDBNull(19) ? null : reader.GetFieldValue<DateTimeOffset>(19),
        CreatedAt: reader.GetFieldValue<DateTimeOffset>(20),
        UpdatedAt: reader.GetFieldValue<DateTimeOffset>(21));
}

/// <summary>The settings of an endpoint that a create or replace writes, in storage units.</summary>
public sealed record EndpointSettings(
    string Url,
    IReadOnlyList<string> Kinds,
    IReadOnlyDictionary<string, string> Headers,
    int TimeoutMs,
    int ConnectTimeoutMs,
    int? ResponseHeadersTimeoutMs,
    int BodyReadTimeoutMs,
    int? MaxAttempts,
    IReadOnlyList<int> RetryStatuses,
    int? ConcurrencyLimit,
    int? RateLimit,
    int RateLimitPeriodMs,
    bool Enabled);

/// <summary>
/// An endpoint as stored, secrets included. <see cref="PreviousSecret"/> is set only while it is
/// still valid. The API never sends this type; it maps it to the wire type without the secrets.
/// </summary>
public sealed record WebhookEndpointRow(
    long Id,
    string Url,
    IReadOnlyList<string> Kinds,
    IReadOnlyDictionary<string, string> Headers,
    int TimeoutMs,
    int ConnectTimeoutMs,
    int? ResponseHeadersTimeoutMs,
    int BodyReadTimeoutMs,
    int? MaxAttempts,
    IReadOnlyList<int> RetryStatuses,
    int? ConcurrencyLimit,
    int? RateLimit,
    int? RateLimitPeriodMs,
    bool Enabled,
    string? DisabledReason,
    DateTimeOffset? DisabledAt,
    string Secret,
    string? PreviousSecret,
    DateTimeOffset? PreviousSecretExpiresAt,
    DateTimeOffset? SecretRotatedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    // Records print every member, and this one holds secrets.
    public override string ToString() => $"WebhookEndpointRow {{ Id = {Id}, Url = {Url} }}";
}

/// <summary>
/// The outcome of a create or replace: the stored endpoint, or the conflict that prevented it,
/// or neither when the endpoint to replace does not exist.
/// </summary>
public sealed record EndpointChange(WebhookEndpointRow? Endpoint, KindConflict? Conflict);

/// <summary>Another endpoint, <paramref name="EndpointId"/>, already serves <paramref name="Kinds"/>.</summary>
public sealed record KindConflict(long EndpointId, IReadOnlyList<string> Kinds);

/// <summary>What one webhook attempt sent and got back, as stored in <c>jobqueue.job_attempts</c>.</summary>
public sealed record AttemptRecord(
    long JobId,
    int Attempt,
    DateTimeOffset StartedAt,
    double LatencyMs,
    string Url,
    long? EndpointId,
    int? StatusCode,
    IReadOnlyDictionary<string, string> ResponseHeaders,
    string? ResponseBody,
    string? Error);
