using JobQueue.Contracts;
using JobQueue.Storage.Telemetry;
using Npgsql;

namespace JobQueue.Storage;

/// <summary>Enqueue under an idempotency key: the jobs and the key's stored response commit together.</summary>
public sealed partial class JobStore
{
    /// <summary>
    /// Enqueues the jobs, and the batch when given, and completes <paramref name="key"/> with the
    /// response that <paramref name="toResponse"/> builds from them, in one transaction: either the
    /// jobs and their stored response both commit, or neither does, so a retry with the key can
    /// never find a job without its response. Returns null, with nothing stored, when the request
    /// no longer owns the key because another request took over its marker after it went stale.
    /// </summary>
    public async Task<(EnqueueResult Result, StoredResponse Response)?> EnqueueWithIdempotencyKeyAsync(
        IReadOnlyList<NewJob> jobs,
        NewBatch? batch,
        IdempotencyKey key,
        Guid token,
        Func<EnqueueResult, StoredResponse> toResponse,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(toResponse);
        using var send = EnqueueTelemetry.StartSend(jobs);
        try
        {
            var result = await InsertWithKeyAsync(
                jobs, batch, key, token, toResponse, EnqueueTelemetry.ContextToStore(send), cancellationToken);
            if (result is { } committed)
            {
                EnqueueTelemetry.Committed(send, committed.Result.Inserted);
            }

            return result;
        }
        catch (Exception exception)
        {
            EnqueueTelemetry.Failed(send, exception);
            throw;
        }
    }

    private async Task<(EnqueueResult Result, StoredResponse Response)?> InsertWithKeyAsync(
        IReadOnlyList<NewJob> jobs,
        NewBatch? batch,
        IdempotencyKey key,
        Guid token,
        Func<EnqueueResult, StoredResponse> toResponse,
        string? traceContext,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var result = await WriteAsync(connection, transaction, jobs, batch, traceContext, cancellationToken);
        var response = toResponse(result);
        await using (var complete = new NpgsqlCommand(IdempotencySql.IdempotencyKeyComplete, connection, transaction))
        {
            complete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Endpoint });
            complete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key.Key });
            complete.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = token });
            complete.Parameters.Add(new NpgsqlParameter<int> { TypedValue = response.StatusCode });
            complete.Parameters.Add(new NpgsqlParameter<string> { TypedValue = response.Body });
            complete.Parameters.Add(new NpgsqlParameter { Value = (object?)response.Location ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            if (await complete.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                await transaction.RollbackAsync(cancellationToken);
                return null;
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return (result, response);
    }
}
