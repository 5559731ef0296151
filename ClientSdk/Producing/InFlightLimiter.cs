namespace OrleansMq.Client.Producing;

/// <summary>
/// Bounds messages and bytes accepted but not yet acknowledged. Waiters are served first-come first-served, so a
/// large message is not starved by small ones. A message larger than the byte bound is admitted when nothing else
/// is in flight.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class InFlightLimiter(int maxMessages, long maxBytes)
{
    private readonly Lock _gate = new();
    private readonly Queue<(long Bytes, TaskCompletionSource Waiter)> _waiters = new();
    private int _messages;
    private long _bytes;

    public int InFlightMessages => Volatile.Read(ref _messages);

    /// <summary>Bytes accepted and not yet acknowledged (read without the lock: a hint).</summary>
    public long InFlightBytes => Volatile.Read(ref _bytes);

    public ValueTask AcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_waiters.Count == 0 && Fits(bytes))
            {
                _messages++;
                _bytes += bytes;
                return ValueTask.CompletedTask;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue((bytes, waiter));
        }

        return new ValueTask(WaitAsync(waiter, cancellationToken));
    }

    public void Release(long bytes)
    {
        List<(long Bytes, TaskCompletionSource Waiter)>? ready = null;
        lock (_gate)
        {
            _messages--;
            _bytes -= bytes;
            while (_waiters.TryPeek(out var next))
            {
                if (next.Waiter.Task.IsCompleted)
                {
                    _waiters.Dequeue(); // cancelled
                    continue;
                }

                if (!Fits(next.Bytes))
                {
                    break;
                }

                _waiters.Dequeue();
                _messages++;
                _bytes += next.Bytes;
                (ready ??= []).Add(next);
            }
        }

        if (ready is not null)
        {
            foreach (var (readyBytes, waiter) in ready)
            {
                if (!waiter.TrySetResult())
                {
                    // Cancelled between dequeue and completion: give the capacity back.
                    Release(readyBytes);
                }
            }
        }
    }

    private bool Fits(long bytes) => _messages < maxMessages && (_bytes + bytes <= maxBytes || _messages == 0);

    private async Task WaitAsync(TaskCompletionSource waiter, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            await waiter.Task;
            return;
        }

        await using (cancellationToken.Register(static w => ((TaskCompletionSource)w!).TrySetCanceled(), waiter))
        {
            await waiter.Task;
        }
    }
}
