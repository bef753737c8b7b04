using JobQueue.Storage;

namespace JobQueue.Api.Hosting;

/// <summary>
/// Deletes expired idempotency keys every five minutes. An expired key that is not deleted yet
/// is already treated as absent.
/// </summary>
internal sealed class IdempotencyKeyCleanupService(
    IdempotencyStore keys, TimeProvider timeProvider, ILogger<IdempotencyKeyCleanupService> logger)
    : BatchedCleanupService(TimeSpan.FromMinutes(5), timeProvider)
{
    protected override Task<int> DeleteBatchAsync(int limit, CancellationToken cancellationToken) =>
        keys.DeleteExpiredAsync(limit, cancellationToken);

    protected override void LogDeleted(int count) => ApiLog.IdempotencyKeysDeleted(logger, count);

    protected override void LogFailed(Exception exception, double intervalMinutes) =>
        ApiLog.IdempotencyKeyCleanupFailed(logger, exception, intervalMinutes);
}
