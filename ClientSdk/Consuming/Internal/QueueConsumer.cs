using Microsoft.Extensions.Logging;
using OrleansMq.Client.Messages;
using OrleansMq.Grains.Messages;

namespace OrleansMq.Client.Consuming.Internal;

/// <summary>
/// Consumes one queue for a push consumer: a long-polling pull loop that pauses while the cache is full, hand-off
/// of pulled messages to the listener, and an orderly loop when the listener is orderly. Stopping drains the cache
/// (bounded) so a queue handed to another member is not consumed twice.
/// </summary>
internal sealed partial class QueueConsumer
{
    private readonly ConsumeEngine _engine;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _orderlySignal = new(0, 1);
    private Task _pullLoop = Task.CompletedTask;
    private Task _orderlyLoop = Task.CompletedTask;
    private int _executing;
    private TaskCompletionSource? _idle;

    public QueueConsumer(ConsumeEngine engine, MessageQueue queue, long lease, FilterExpression filter)
    {
        _engine = engine;
        _logger = engine.Logger;
        Queue = queue;
        Lease = lease;
        Filter = filter;
        ProcessQueue = new ProcessQueue(
            engine.Options.PullThresholdForQueue,
            engine.Options.PullThresholdSizeForQueue,
            engine.IsOrderly ? long.MaxValue : engine.Options.ConsumeConcurrentlyMaxSpan);
    }

    public ConsumeEngine Engine => _engine;

    public MessageQueue Queue { get; }

    /// <summary>The group lease this queue is consumed under (-1 in broadcasting mode).</summary>
    public long Lease { get; }

    public FilterExpression Filter { get; }

    public ProcessQueue ProcessQueue { get; }

    /// <summary>The offset last committed successfully, to skip commits that change nothing.</summary>
    public long LastCommitted { get; set; } = -1;

    public CancellationToken Stopping => _stop.Token;

    public void Start(long offset)
    {
        ProcessQueue.Advance(offset);
        _pullLoop = PullLoopAsync(offset);
        if (_engine.IsOrderly)
        {
            _orderlyLoop = OrderlyLoopAsync();
        }
    }

    /// <summary>
    /// Stops pulling, lets the listener finish what is cached (up to <paramref name="drainTimeout"/>), waits for
    /// listener calls in progress, and returns the offset to commit.
    /// </summary>
    public async Task<long> StopAsync(TimeSpan drainTimeout)
    {
        await _stop.CancelAsync();
        await Swallow(_pullLoop);
        if (drainTimeout > TimeSpan.Zero)
        {
            try
            {
                await ProcessQueue.WaitForEmptyAsync().WaitAsync(drainTimeout);
            }
            catch (TimeoutException)
            {
                LogDrainTimedOut(Queue.ToString(), ProcessQueue.Count, drainTimeout);
            }
        }

        ProcessQueue.Drop();
        SignalOrderly();
        await Swallow(_orderlyLoop);
        await WaitIdleAsync();
        return ProcessQueue.CommittableOffset;
    }

    /// <summary>Wakes the orderly loop after new messages arrived.</summary>
    public void SignalOrderly()
    {
        if (_orderlySignal.CurrentCount == 0)
        {
            try
            {
                _orderlySignal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    public void BeginExecute()
    {
        lock (_gate)
        {
            _executing++;
        }
    }

    public void EndExecute()
    {
        TaskCompletionSource? idle = null;
        lock (_gate)
        {
            if (--_executing == 0 && _idle is not null)
            {
                idle = _idle;
                _idle = null;
            }
        }

        idle?.TrySetResult();
    }

    private Task WaitIdleAsync()
    {
        lock (_gate)
        {
            if (_executing == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }

    private async Task PullLoopAsync(long offset)
    {
        var options = _engine.Options;
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await ProcessQueue.WaitForSpaceAsync(token);
                var result = await QueueReader.PullAsync(
                    _engine.Client, Queue, offset, options.PullBatchSize, ConsumeEngine.PullMaxBytes, Filter, options.LongPollWait, token);
                switch (result.Status)
                {
                    case PullStatus.Found:
                        ProcessQueue.Add(result.Messages, result.NextOffset);
                        offset = result.NextOffset;
                        await _engine.DispatchAsync(this, result.Messages, token);
                        break;
                    case PullStatus.NoNewMessage or PullStatus.NoMatchedMessage:
                        ProcessQueue.Advance(result.NextOffset);
                        offset = result.NextOffset;
                        break;
                    case PullStatus.OffsetTooSmall or PullStatus.OffsetTooBig:
                        // Deleted by retention (too small) or a recreated/truncated queue (too big): continue at the nearest valid offset.
                        var corrected = result.Status == PullStatus.OffsetTooSmall ? result.MinOffset : result.MaxOffset;
                        LogOffsetCorrected(Queue.ToString(), offset, corrected);
                        offset = corrected;
                        ProcessQueue.Advance(offset);
                        break;
                    default:
                        LogPullRefused(Queue.ToString(), result.Status, result.Error ?? "");
                        await Task.Delay(options.PullErrorBackoff, token);
                        break;
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogPullFailed(Queue.ToString(), e);
                try
                {
                    await Task.Delay(options.PullErrorBackoff, token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One batch at a time in offset order; a failed batch is retried in place after a pause, never skipped.</summary>
    private async Task OrderlyLoopAsync()
    {
        var options = _engine.Options;
        var failures = 0;
        while (!ProcessQueue.Dropped)
        {
            var batch = ProcessQueue.TakeOldest(options.ConsumeBatchSize);
            if (batch.Count == 0)
            {
                await _orderlySignal.WaitAsync();
                continue;
            }

            var context = new ConsumeOrderlyContext(Queue, options.SuspendCurrentQueueTime);
            if (await _engine.ConsumeOrderlyAsync(this, batch, context))
            {
                ProcessQueue.Remove(batch);
                failures = 0;
                continue;
            }

            // The same messages failed again: after the allowed reconsumes they go to the dead-letter topic so the
            // queue can move on; until then the queue waits and retries them in place (order is never broken).
            if (++failures > _engine.MaxReconsumeOrderly)
            {
                var moved = await _engine.SendBackAsync(batch, deadLetter: true);
                if (moved.Count == batch.Count)
                {
                    ProcessQueue.Remove(batch);
                    failures = 0;
                    continue;
                }
            }

            // Suspended: wait, but wake early if the queue is being stopped so a release is not delayed.
            try
            {
                await Task.Delay(context.SuspendTime, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static async Task Swallow(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Offset {Offset} of {Queue} is out of range; continuing at {Corrected}")]
    private partial void LogOffsetCorrected(string queue, long offset, long corrected);

    [LoggerMessage(2, LogLevel.Warning, "Pull from {Queue} refused: {Status} {Error}")]
    private partial void LogPullRefused(string queue, PullStatus status, string error);

    [LoggerMessage(3, LogLevel.Warning, "Pull from {Queue} failed; retrying")]
    private partial void LogPullFailed(string queue, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "Queue {Queue} still had {Count} unconsumed messages after {Timeout}; the next holder consumes them again")]
    private partial void LogDrainTimedOut(string queue, int count, TimeSpan timeout);
}
