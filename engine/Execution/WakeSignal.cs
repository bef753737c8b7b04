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
    /// Waits for a signal; returns false when <paramref name="timeout"/> passed first. The caller
    /// reads the state it waits for after this returns, so a <see cref="Set"/> that comes after
    /// the semaphore was taken and before the flag is cleared loses nothing: its change was made
    /// before it, and the caller reads it next.
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
