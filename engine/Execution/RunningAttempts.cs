using System.Collections.Concurrent;

namespace JobQueue.Engine.Execution;

/// <summary>Why a running attempt's token was cancelled; the first reason set wins.</summary>
public enum StopReason
{
    None,
    TimedOut,
    CancelRequested,
    LeaseLost,
    Shutdown,
}

/// <summary>One attempt this worker runs now.</summary>
public sealed class RunningAttempt(long id, int attempt, string queue, string kind, DateTimeOffset startedAt) : IDisposable
{
    private int _stopReason;
    private long _leaseValidUntilTicks = DateTimeOffset.MaxValue.UtcTicks;

    public long Id => id;

    public int Attempt => attempt;

    public string Queue => queue;

    public string Kind => kind;

    public DateTimeOffset StartedAt => startedAt;

    /// <summary>Fires when the attempt must stop, for any <see cref="StopReason"/>.</summary>
    public CancellationTokenSource Stopping { get; } = new();

    public StopReason StopReason => (StopReason)Volatile.Read(ref _stopReason);

    /// <summary>
    /// The latest time, by this host's clock, until which the lease surely holds: the moment the
    /// last successful claim or renewal was sent plus the lease duration. The database computes
    /// the real expiry from its own later clock reading, so this errs on the early side.
    /// </summary>
    public DateTimeOffset LeaseValidUntil
    {
        get => new(Interlocked.Read(ref _leaseValidUntilTicks), TimeSpan.Zero);
        set => Interlocked.Exchange(ref _leaseValidUntilTicks, value.UtcTicks);
    }

    /// <summary>Records the reason and cancels the attempt's token; a later reason does not replace the first.</summary>
    public void Stop(StopReason reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, (int)reason, (int)StopReason.None) == (int)StopReason.None)
        {
            Stopping.Cancel();
        }
    }

    public void Dispose() => Stopping.Dispose();
}

/// <summary>The attempts this worker process runs now, across all its pools.</summary>
public sealed class RunningAttempts
{
    private readonly ConcurrentDictionary<long, RunningAttempt> _attempts = new();
    private int _stopNewWith;

    public int Count => _attempts.Count;

    /// <summary>Registers an attempt; one registered after <see cref="StopAll"/> is stopped at once.</summary>
    public void Add(RunningAttempt attempt)
    {
        _attempts[attempt.Id] = attempt;

        // Read after adding, so that an attempt is either in the snapshot of a concurrent
        // StopAll or sees its reason here.
        var reason = (StopReason)Volatile.Read(ref _stopNewWith);
        if (reason != StopReason.None)
        {
            attempt.Stop(reason);
        }
    }

    /// <summary>Stops every running attempt, and every attempt registered from now on, for <paramref name="reason"/>.</summary>
    public void StopAll(StopReason reason)
    {
        Volatile.Write(ref _stopNewWith, (int)reason);
        foreach (var attempt in _attempts.Values)
        {
            attempt.Stop(reason);
        }
    }

    public void Remove(RunningAttempt attempt) => _attempts.TryRemove(new KeyValuePair<long, RunningAttempt>(attempt.Id, attempt));

    public bool TryGet(long id, out RunningAttempt attempt) => _attempts.TryGetValue(id, out attempt!);

    public IReadOnlyList<RunningAttempt> Snapshot() => _attempts.Values.ToList();
}
