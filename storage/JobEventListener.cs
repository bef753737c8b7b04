using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobQueue.Storage;

/// <summary>What changed: jobs became available in a queue, a job finished, or jobs were enqueued.</summary>
public enum JobEventType
{
    /// <summary>Jobs of <see cref="JobEvent.Queue"/> became available.</summary>
    Available,

    /// <summary>Job <see cref="JobEvent.Id"/> reached a final state.</summary>
    Finished,

    /// <summary>New jobs were enqueued; <see cref="JobEvent.Id"/> is the last id handed out.</summary>
    Enqueued,

    /// <summary>The LISTEN connection was re-established, so changes may have been missed.</summary>
    Reconnected,
}

/// <summary>One change to the jobs table, as seen by <see cref="JobEventListener"/>.</summary>
public sealed record JobEvent(JobEventType Type, string? Queue = null, long Id = 0);

/// <summary>
/// Feeds live change events to subscribers such as server-sent event streams. It holds one
/// connection that LISTENs on the available and finished channels, and while anyone subscribes it
/// also reads the last job id every second, because an enqueue of a job that is not due yet sends
/// no notification. Each subscriber has a bounded buffer that drops its oldest events when the
/// subscriber reads too slowly, so one stalled client never holds memory or delays the others.
/// </summary>
public sealed partial class JobEventListener(
    [FromKeyedServices(StorageServiceCollectionExtensions.SessionDataSourceKey)] NpgsqlDataSource dataSource, ILogger<JobEventListener> logger, TimeProvider timeProvider) : BackgroundService
{
    /// <summary>Subscribers one process serves at once; further subscriptions are rejected.</summary>
    public const int MaxSubscribers = 200;

    /// <summary>Events buffered per subscriber before its oldest are dropped.</summary>
    public const int SubscriberBuffer = 256;

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(10);

    private readonly List<Channel<JobEvent>> _subscribers = [];
    private readonly Lock _lock = new();
    private long _lastId = -1;

    /// <summary>
    /// Subscribes to events; dispose the result to unsubscribe. Returns null when
    /// <see cref="MaxSubscribers"/> are subscribed already.
    /// </summary>
    public Subscription? Subscribe()
    {
        var channel = Channel.CreateBounded<JobEvent>(new BoundedChannelOptions(SubscriberBuffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_lock)
        {
            if (_subscribers.Count >= MaxSubscribers)
            {
                return null;
            }

            _subscribers.Add(channel);
        }

        return new Subscription(this, channel);
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
                await using (var listen = new NpgsqlCommand(
                    $"LISTEN {JobSql.AvailableChannel}; LISTEN {JobSql.FinishedChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                failures = 0;
                LogListening();
                Publish(new JobEvent(JobEventType.Reconnected));
                await using var lastId = new NpgsqlCommand(JobSql.JobLastId, connection);

                // WaitAsync returns on a notification or after the poll interval. Reading the last
                // id on this connection also shows that it is still alive.
                var tick = 0;
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(PollInterval, stoppingToken);
                    if (HasSubscribers || ++tick % 15 == 0)
                    {
                        var id = (long)(await lastId.ExecuteScalarAsync(stoppingToken))!;
                        var previous = Interlocked.Exchange(ref _lastId, id);
                        if (previous >= 0 && id != previous)
                        {
                            Publish(new JobEvent(JobEventType.Enqueued, Id: id));
                        }
                    }
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

        lock (_lock)
        {
            _subscribers.ForEach(channel => channel.Writer.TryComplete());
        }
    }

    private bool HasSubscribers
    {
        get
        {
            lock (_lock)
            {
                return _subscribers.Count > 0;
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs args)
    {
        if (args.Channel == JobSql.AvailableChannel)
        {
            Publish(new JobEvent(JobEventType.Available, Queue: args.Payload));
        }
        else if (args.Channel == JobSql.FinishedChannel)
        {
            foreach (var id in JobFinishedListener.ParseIds(args.Payload))
            {
                Publish(new JobEvent(JobEventType.Finished, Id: id));
            }
        }
    }

    private void Publish(JobEvent jobEvent)
    {
        lock (_lock)
        {
            foreach (var channel in _subscribers)
            {
                channel.Writer.TryWrite(jobEvent);
            }
        }
    }

    private void Remove(Channel<JobEvent> channel)
    {
        lock (_lock)
        {
            _subscribers.Remove(channel);
        }

        channel.Writer.TryComplete();
    }

    [LoggerMessage(EventId = 1121, Level = LogLevel.Debug, Message = "Listening for job events")]
    private partial void LogListening();

    [LoggerMessage(EventId = 1122, Level = LogLevel.Warning,
        Message = "Job event connection lost; reconnecting in {DelayMs} ms")]
    private partial void LogConnectionLost(Exception exception, double delayMs);

    /// <summary>One subscriber's events; dispose it to unsubscribe.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly JobEventListener _listener;
        private readonly Channel<JobEvent> _channel;

        internal Subscription(JobEventListener listener, Channel<JobEvent> channel)
        {
            _listener = listener;
            _channel = channel;
        }

        /// <summary>The events, in the order they were seen; completes when the listener stops.</summary>
        public ChannelReader<JobEvent> Events => _channel.Reader;

        public void Dispose() => _listener.Remove(_channel);
    }
}
