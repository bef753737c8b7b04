using System.Threading.Channels;
using Npgsql;

namespace JobQueue.Storage;

/// <summary>
/// Runs concurrent calls of one statement as a single statement over all their rows: each call
/// adds one item and waits for its own result. Up to <c>maxConcurrent</c> statements are in
/// flight; calls that arrive while they run form the next batch, so under load the number of
/// commits per call falls, and a call alone waits no longer than one statement.
/// </summary>
internal sealed class StatementBatcher<TItem, TResult>
{
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });

    private readonly Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> _execute;
    private readonly int _maxBatch;
    private readonly int _maxConcurrent;
    private int _started;

    /// <summary>Items per statement unless the caller sets another limit.</summary>
    public const int DefaultMaxBatch = 500;

    /// <summary>Statements in flight at once unless the caller sets another limit.</summary>
    public const int DefaultMaxConcurrent = 2;

    /// <param name="execute">Runs the statement for the items and returns one result per item, in order.</param>
    /// <param name="maxBatch">Maximum items per statement.</param>
    /// <param name="maxConcurrent">Maximum statements in flight at once.</param>
    public StatementBatcher(
        Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> execute,
        int maxBatch = DefaultMaxBatch,
        int maxConcurrent = DefaultMaxConcurrent)
    {
        _execute = execute;
        _maxBatch = maxBatch;
        _maxConcurrent = maxConcurrent;
    }

    /// <summary>
    /// Adds the item to the next statement and returns its result. Cancelling stops the wait, not
    /// the statement: the item may still be written.
    /// </summary>
    public Task<TResult> RunAsync(TItem item, CancellationToken cancellationToken)
    {
        StartLoops();
        var pending = new Pending(item, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        _pending.Writer.TryWrite(pending);
        return pending.Completion.Task.WaitAsync(cancellationToken);
    }

    private void StartLoops()
    {
        if (Volatile.Read(ref _started) == 1 || Interlocked.Exchange(ref _started, 1) == 1)
        {
            return;
        }

        for (var i = 0; i < _maxConcurrent; i++)
        {
            _ = Task.Run(RunLoopAsync);
        }
    }

    // The loops live as long as the process because the channel is never completed. A loop waiting
    // on an empty channel uses no thread.
    private async Task RunLoopAsync()
    {
        var reader = _pending.Reader;
        var batch = new List<Pending>(_maxBatch);
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            if (batch.Count > 0)
            {
                await ExecuteAsync(batch);
            }
        }
    }

    private async Task ExecuteAsync(List<Pending> batch)
    {
        try
        {
            var results = await _execute(batch.Select(p => p.Item).ToList());
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
        catch (PostgresException exception) when (batch.Count > 1 && IsCausedByData(exception))
        {
            // One row's data failed the statement. Each item runs alone, so only its own call fails.
            foreach (var pending in batch)
            {
                await ExecuteAsync([pending]);
            }
        }
        catch (Exception exception)
        {
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(exception);
            }
        }
    }

    // SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation) come from the
    // values of a row. Every other error (connection, timeout, deadlock) concerns the whole statement.
    private static bool IsCausedByData(PostgresException exception) =>
        exception.SqlState.StartsWith("22", StringComparison.Ordinal) || exception.SqlState.StartsWith("23", StringComparison.Ordinal);

    private sealed record Pending(TItem Item, TaskCompletionSource<TResult> Completion);
}
