namespace JobQueue.Engine.Execution;

/// <summary>An auto-reset signal: any number of <see cref="Set"/> calls wake one waiter once.</summary>
internal sealed class WakeSignal : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    // 1 from the first Set until the waiter takes the signal. Set releases the semaphore only on
    // the change from 0 to 1, so a signal that is already set costs one compare-and-swap. Every
    // finished job sets the signal, and releasing a full semaphore throws.
    private int _set;

    public void Set()
    {
        if (Interlocked.CompareExchange(ref _set, 1, 0) == 0)
        {
            _semaphore.Release();
        }
    }

    /// <summary>
    /// Waits for a signal, and returns false when <paramref name="timeout"/> passed first. A
    /// <see cref="Set"/> between taking the semaphore and clearing the flag releases nothing, and
    /// loses nothing either: its caller changed the state before calling it, and the waiter reads
    /// that state after this returns.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var signalled = await _semaphore.WaitAsync(timeout, cancellationToken);
        if (signalled)
        {
            Volatile.Write(ref _set, 0);
        }

        return signalled;
    }

    public void Dispose() => _semaphore.Dispose();
}
