using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobQueue.Storage;

/// <summary>
/// Keeps one connection open that LISTENs for jobs reaching a final state and wakes the requests
/// waiting for those jobs. It re-establishes the connection after it drops and then wakes every
/// waiter, because notifications sent meanwhile are lost; waiters also re-read on a timer.
/// </summary>
public sealed partial class JobFinishedListener(
    [FromKeyedServices(StorageServiceCollectionExtensions.SessionDataSourceKey)] NpgsqlDataSource dataSource,
    ILogger<JobFinishedListener> logger,
    TimeProvider timeProvider) : BackgroundService
{
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Maximum ids in one notification on the finished channel. 300 ids of at most 19 digits and
    /// their commas stay below PostgreSQL's payload limit of 8,000 bytes.
    /// </summary>
    public const int MaxIdsPerNotification = 300;

    private readonly Dictionary<long, List<TaskCompletionSource>> _waiters = [];

    /// <summary>The job ids in a payload of the finished channel; parts that are not ids are skipped.</summary>
    public static IEnumerable<long> ParseIds(string payload) =>
        payload.Split(',').Select(part => long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1)
            .Where(id => id >= 0);
    private readonly Lock _lock = new();

    /// <summary>
    /// Starts watching job <paramref name="id"/>. Register before reading the job, so that a
    /// notification sent between the read and the wait is not missed.
    /// </summary>
    public FinishedWatch Watch(long id)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (!_waiters.TryGetValue(id, out var list))
            {
                list = [];
                _waiters[id] = list;
            }

            list.Add(signal);
        }

        return new FinishedWatch(this, id, signal);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {JobSql.FinishedChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                failures = 0;
                LogListening();
                WakeAll();

                // WaitAsync returns on each notification, and after the keep-alive interval it
                // sends a no-op so that a dead connection is noticed and replaced.
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
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs args)
    {
        lock (_lock)
        {
            if (_waiters.Count == 0)
            {
                return;
            }

            foreach (var id in ParseIds(args.Payload))
            {
                if (_waiters.TryGetValue(id, out var list))
                {
                    list.ForEach(signal => signal.TrySetResult());
                }
            }
        }
    }

    private void WakeAll()
    {
        lock (_lock)
        {
            foreach (var list in _waiters.Values)
            {
                list.ForEach(signal => signal.TrySetResult());
            }
        }
    }

    private void Remove(long id, TaskCompletionSource signal)
    {
        lock (_lock)
        {
            if (_waiters.TryGetValue(id, out var list) && list.Remove(signal) && list.Count == 0)
            {
                _waiters.Remove(id);
            }
        }
    }

    [LoggerMessage(EventId = 1111, Level = LogLevel.Debug, Message = "Listening for finished jobs")]
    private partial void LogListening();

    [LoggerMessage(EventId = 1112, Level = LogLevel.Warning,
        Message = "Finished-job notification connection lost; reconnecting in {DelayMs} ms, waiting reads poll meanwhile")]
    private partial void LogConnectionLost(Exception exception, double delayMs);

    /// <summary>A registration for one job; dispose it when the wait is over.</summary>
    public sealed class FinishedWatch : IDisposable
    {
        private readonly JobFinishedListener _listener;
        private readonly long _id;
        private readonly TaskCompletionSource _signal;

        internal FinishedWatch(JobFinishedListener listener, long id, TaskCompletionSource signal)
        {
            _listener = listener;
            _id = id;
            _signal = signal;
        }

        /// <summary>
        /// Waits until the job's notification arrives, the connection was re-established, or
        /// <paramref name="timeout"/> passed, whichever is first.
        /// </summary>
        public async Task WaitAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(timeout, timeProvider, timer.Token);
            await Task.WhenAny(_signal.Task, delay);
            await timer.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }

        public void Dispose() => _listener.Remove(_id, _signal);
    }
}
