using JobQueue.Api.Hosting;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Access;

/// <summary>Deletes audit entries older than <see cref="AuditOptions.Retention"/>, oldest first, every ten minutes.</summary>
internal sealed class AuditCleanupService(
    AuditStore store, IOptions<AuditOptions> options, TimeProvider timeProvider, ILogger<AuditCleanupService> logger)
    : BatchedCleanupService(TimeSpan.FromMinutes(10), timeProvider)
{
    protected override Task<int> DeleteBatchAsync(int limit, CancellationToken cancellationToken) =>
        store.DeleteOlderThanAsync(options.Value.Retention, limit, cancellationToken);

    protected override void LogDeleted(int count) => ApiLog.AuditEntriesDeleted(logger, count);

    protected override void LogFailed(Exception exception, double intervalMinutes) =>
        ApiLog.AuditCleanupFailed(logger, exception, intervalMinutes);
}
