using JobQueue.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobQueue.Engine.Schedules;

/// <summary>
/// Writes the schedules of the <c>Schedules</c> configuration section to the database at start-up,
/// as source <c>config</c>, and deletes configuration schedules no longer listed. A host without
/// the section changes nothing. An invalid entry
/// stops the host with <see cref="OptionsValidationException"/>. When the database cannot be
/// reached, the host starts anyway and the sync is retried in the background.
/// </summary>
public sealed partial class ScheduleConfigSync(
    ScheduleStore store,
    IConfiguration configuration,
    TimeProvider timeProvider,
    IHostApplicationLifetime lifetime,
    ILogger<ScheduleConfigSync> logger) : IHostedService, IDisposable
{
    private const int MaxRetries = 120;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    private Task _retries = Task.CompletedTask;
    private int _disposed;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A host without the section leaves configuration schedules alone. Otherwise an API host
        // configured without schedules would delete those that the worker hosts define.
        if (!configuration.GetSection(ScheduleConfiguration.SectionName).Exists())
        {
            LogNoSection();
            return;
        }

        var (rows, failures) = ScheduleConfiguration.Read(configuration, timeProvider.GetUtcNow());
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(ScheduleConfiguration.SectionName, typeof(ScheduleConfiguration), failures);
        }

        try
        {
            await SyncAsync(rows, cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            LogSyncFailed(exception, RetryDelay.TotalSeconds);
            _retries = RetryAsync(_stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A test host may dispose the services before it stops them; the retries also end with
        // the application's stopping token then.
        if (Volatile.Read(ref _disposed) == 0)
        {
            await _stopping.CancelAsync();
        }

        await _retries;
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _disposed, 1);
        _stopping.Dispose();
    }

    private async Task SyncAsync(IReadOnlyList<ScheduleRow> rows, CancellationToken cancellationToken)
    {
        var deleted = await store.SyncConfigAsync(rows, cancellationToken);
        LogSynced(rows.Count, deleted.Count);
    }

    private async Task RetryAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        for (var attempt = 1; attempt <= MaxRetries; attempt++)
        {
            try
            {
                await Task.Delay(RetryDelay, timeProvider, linked.Token);

                // Read again so that next slots are computed from the time of the write.
                var (rows, _) = ScheduleConfiguration.Read(configuration, timeProvider.GetUtcNow());
                await SyncAsync(rows, linked.Token);
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogSyncFailed(exception, RetryDelay.TotalSeconds);
            }
        }

        LogSyncAbandoned(MaxRetries);
    }

    [LoggerMessage(EventId = 3524, Level = LogLevel.Information,
        Message = "No Schedules section in the configuration; schedules from configuration are left as they are")]
    private partial void LogNoSection();

    [LoggerMessage(EventId = 3521, Level = LogLevel.Information,
        Message = "Wrote {Count} schedules from configuration; deleted {Deleted} configuration schedules no longer listed")]
    private partial void LogSynced(int count, int deleted);

    [LoggerMessage(EventId = 3522, Level = LogLevel.Warning,
        Message = "Writing the configured schedules failed; retrying in {DelaySeconds} s")]
    private partial void LogSyncFailed(Exception exception, double delaySeconds);

    [LoggerMessage(EventId = 3523, Level = LogLevel.Error,
        Message = "Gave up writing the configured schedules after {Attempts} attempts; restart the host to try again")]
    private partial void LogSyncAbandoned(int attempts);
}
