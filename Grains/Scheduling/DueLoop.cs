namespace OrleansMq.Grains.Scheduling;

/// <summary>
/// The background loop of the timer and transaction services: a pass handles what is due; when nothing was due it
/// sleeps until the next due time, a <see cref="Wake"/> or stop. A failing pass is logged and retried after one second
/// of the injected clock, so the loop is never lost. Tests wait for "everything due by T handled" through
/// <see cref="WaitProcessedAsync"/>.
/// </summary>
/// <param name="time">The clock (tests drive it).</param>
/// <param name="logFailure">Logs a failed pass.</param>
internal sealed class DueLoop(Func<TimeProvider> time, Action<Exception> logFailure)
{
    private readonly Lock _gate = new();
    private readonly List<(long Until, TaskCompletionSource Waiter)> _processedWaiters = [];
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;
    private long _processedUntil = long.MinValue;

    /// <summary>
    /// Starts the loop. <paramref name="pass"/> returns null when it handled due work (the next pass runs at once),
    /// otherwise the time up to which everything due has been handled and how long to sleep.
    /// </summary>
    public void Start(Func<Task<(long ProcessedUntil, TimeSpan Wait)?>> pass) => _loop = Task.Run(() => RunAsync(pass), CancellationToken.None);

    /// <summary>Ends the sleep at once: something became due earlier, or a test waits.</summary>
    public void Wake() => _wake.TrySetResult();

    /// <summary>Completes once a pass has found nothing due at or before <paramref name="timestamp"/> (Unix ms).</summary>
    public Task WaitProcessedAsync(long timestamp)
    {
        lock (_gate)
        {
            if (_processedUntil >= timestamp)
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _processedWaiters.Add((timestamp, waiter));
            Wake();
            return waiter.Task;
        }
    }

    /// <summary>Stops the loop and waits for the running pass to end.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        Wake();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RunAsync(Func<Task<(long ProcessedUntil, TimeSpan Wait)?>> pass)
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            // Renewed before the pass looks at what is due, so a Wake during the pass ends the next sleep.
            TaskCompletionSource wake;
            lock (_gate)
            {
                wake = _wake = _wake.Task.IsCompleted ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : _wake;
            }

            try
            {
                if (await pass() is not { } idle)
                {
                    continue; // More may be due.
                }

                SignalProcessed(idle.ProcessedUntil);
                await Task.WhenAny(wake.Task, Task.Delay(idle.Wait, time(), token));
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logFailure(e);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), time(), token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void SignalProcessed(long now)
    {
        List<TaskCompletionSource>? ready = null;
        lock (_gate)
        {
            _processedUntil = now;
            for (var i = _processedWaiters.Count - 1; i >= 0; i--)
            {
                if (_processedWaiters[i].Until <= now)
                {
                    (ready ??= []).Add(_processedWaiters[i].Waiter);
                    _processedWaiters.RemoveAt(i);
                }
            }
        }

        ready?.ForEach(w => w.TrySetResult());
    }
}
