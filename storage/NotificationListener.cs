using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobQueue.Storage;

/// <summary>
/// Holds one connection that LISTENs for new available jobs and for cancel requests, and
/// re-establishes it after it drops. Subscribers are told after every reconnect too, because
/// notifications sent while the connection was down are lost; polling covers the gap meanwhile.
/// </summary>
public sealed partial class NotificationListener(
    [FromKeyedServices(StorageServiceCollectionExtensions.SessionDataSourceKey)] NpgsqlDataSource dataSource,
    ILogger<NotificationListener> logger,
    TimeProvider timeProvider) : BackgroundService
{
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(10);

    private volatile bool _listening;

    /// <summary>Raised with a queue name when jobs in that queue became available.</summary>
    public event Action<string>? JobsAvailable;

    /// <summary>Raised with a job id when a cancel was requested for that running job.</summary>
    public event Action<long>? CancelRequested;

    /// <summary>Raised after the connection was (re-)established, when notifications may have been missed.</summary>
    public event Action? Reconnected;

    /// <summary>True while the LISTEN connection is open; readiness reports it.</summary>
    public bool IsListening => _listening;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand(
                    $"LISTEN {JobSql.AvailableChannel}; LISTEN {JobSql.CancelChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                _listening = true;
                failures = 0;
                LogListening();
                Reconnected?.Invoke();

                // WaitAsync returns on each notification, and after the keep-alive interval
                // it sends a no-op so that a dead connection is noticed and replaced.
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(KeepAliveInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception) when (exception is NpgsqlException or IOException or TimeoutException)
            {
                _listening = false;
                failures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(
                    MaxReconnectDelay.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(failures, 10))));
                LogConnectionLost(exception, delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, timeProvider, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            finally
            {
                _listening = false;
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs args)
    {
        if (args.Channel == JobSql.AvailableChannel)
        {
            JobsAvailable?.Invoke(args.Payload);
        }
        else if (args.Channel == JobSql.CancelChannel && long.TryParse(args.Payload, out var id))
        {
            CancelRequested?.Invoke(id);
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Listening for job notifications")]
    private partial void LogListening();

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning,
        Message = "Notification connection lost; reconnecting in {DelayMs} ms, polling meanwhile")]
    private partial void LogConnectionLost(Exception exception, double delayMs);
}
