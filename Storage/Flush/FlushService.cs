using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OrleansMq.Storage.CommitLog;
using OrleansMq.Storage.Diagnostics;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.Flush;

/// <summary>
/// The flush thread (RocketMQ GroupCommitService / FlushRealTimeService). Under <see cref="FlushPolicy.Sync"/> it
/// takes every group the writer has written, runs one fdatasync covering all of them, advances the durable
/// position, publishes the new messages to readers and acknowledges the appends. While it syncs, the writer goes on
/// writing the next group, so fsync latency and write time overlap. Under <see cref="FlushPolicy.Async"/> it
/// fdatasyncs whatever was written, every interval.
/// </summary>
/// <remarks>
/// A failed fdatasync under sync asks the writer to rewind to the durable position, then fails every waiting append
/// with <see cref="AppendStatus.IoError"/> (in that order, so an append made after such an answer is written after
/// the rewind, not failed with the old log); until the writer has rewound this service does not sync again,
/// because after a failed fsync Linux may report later fsyncs as successful although the data is gone.
/// Under async a failed flush is logged and retried at the next interval (the acknowledged data may be lost;
/// that is the async policy's documented risk).
/// </remarks>
internal sealed class FlushService
{
    private readonly PendingAppends _pending = new();
    private readonly List<AppendRequest> _taken = [];
    private readonly ManualResetEventSlim _wake = new(false, 50);
    private readonly Thread _thread;
    private readonly CommitLog.CommitLog _log;
    private readonly CommitLogWriter _writer;
    private readonly AppendCompleter _completer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StorageInstruments _instruments;
    private readonly StoreTestHooks? _hooks;
    private readonly PageCacheTrimmer _trimmer;
    private int _sleeping;
    private int _flushRequested;
    private volatile bool _stopping;
    private long _flushStarted;
    private long _flushTarget;
    private int _failedEpoch = -1;
    private int _lastCompleted;
    private long _averageFlushTicks;

    public FlushService(bool sync, CommitLog.CommitLog log, CommitLogWriter writer, AppendCompleter completer, PageCacheTrimmer trimmer, TimeProvider time, ILogger logger, StorageInstruments instruments, StoreTestHooks? hooks)
    {
        _trimmer = trimmer;
        IsSync = sync;
        _log = log;
        _writer = writer;
        _completer = completer;
        _time = time;
        _logger = logger;
        _instruments = instruments;
        _hooks = hooks;
        _thread = new Thread(Run) { IsBackground = true, Name = "OrleansMq commit log flusher" };
    }

    public bool IsSync { get; }

    public void Start() => _thread.Start();

    /// <summary>Writer thread: a written group's requests waiting for durability, in log order.</summary>
    public void Enqueue(List<AppendRequest> requests) => _pending.EnqueueRange(requests);

    /// <summary>Asks for a flush of everything written so far.</summary>
    public void Signal()
    {
        // A full fence between publishing the request and reading _sleeping (Dekker with Run's sleep check): with a
        // plain store the read could pass it, both threads would miss each other, and the flusher would sleep out its
        // 100 ms bound while appends wait for it (found as 5-13 ms waits before the fdatasync in W2).
        Interlocked.Exchange(ref _flushRequested, 1);
        if (Volatile.Read(ref _sleeping) == 1)
        {
            _wake.Set();
        }
    }

    /// <summary>
    /// Flush timeout watchdog (timer thread): when one fdatasync has run longer than <paramref name="timeout"/>,
    /// the appends it covers are answered with <see cref="AppendStatus.FlushTimeout"/>; they stay invisible to
    /// readers until the flush does finish.
    /// </summary>
    public void CheckTimeout(TimeSpan timeout)
    {
        var started = Volatile.Read(ref _flushStarted);
        if (started == 0 || _time.GetElapsedTime(started) < timeout)
        {
            return;
        }

        var overdue = new List<AppendRequest>();
        _pending.CopyEndingAtOrBelow(Volatile.Read(ref _flushTarget), overdue);
        foreach (var request in overdue)
        {
            _completer.Stored(request, AppendStatus.FlushTimeout);
        }
    }

    /// <summary>Flushes what is written, acknowledges what is waiting and stops the thread.</summary>
    public void Stop()
    {
        _stopping = true;
        _wake.Set();
        _thread.Join();
        FailAll(AppendStatus.StoreClosed);
    }

    private void Run()
    {
        while (true)
        {
            var stopping = _stopping;
            if (Interlocked.Exchange(ref _flushRequested, 0) == 1 || !_pending.IsEmpty || stopping)
            {
                if (IsSync && Volatile.Read(ref _failedEpoch) >= _writer.Epoch)
                {
                    FailOldEpoch();
                }
                else
                {
                    if (IsSync && !stopping)
                    {
                        Linger();
                    }

                    try
                    {
                        FlushOnce();
                    }
                    catch (Exception ex)
                    {
                        // A bug, not an IO failure (FlushOnce handles those): answer the waiting appends, keep running.
                        _logger.FlusherFaulted(ex);
                        FailAll(AppendStatus.IoError);
                    }
                }

                if (stopping)
                {
                    return;
                }

                continue;
            }

            _wake.Reset();
            Volatile.Write(ref _sleeping, 1);
            Interlocked.MemoryBarrier();
            if (_pending.IsEmpty && Volatile.Read(ref _flushRequested) == 0 && !_stopping)
            {
                // Under sync the writer signals each group; the bounded wait only covers a rewind (no signal).
                _wake.Wait(IsSync ? 100 : Timeout.Infinite);
            }

            Volatile.Write(ref _sleeping, 0);
        }
    }

    /// <summary>
    /// Adaptive group-commit delay. When the previous fdatasync acknowledged several appends, their callers come
    /// back within tens of microseconds; syncing at once would cover only the appends that happened to be written
    /// and split the callers into alternating half-size groups. So wait while new writes keep arriving (each gap
    /// under 50 µs) for at most half the average fdatasync time, capped at 1 ms: one sync then covers everyone.
    /// A lone appender (previous sync acknowledged one append) never waits. Uses the real clock on purpose:
    /// this is a scheduling heuristic, not a timeout anyone observes.
    /// </summary>
    private void Linger()
    {
        if (Volatile.Read(ref _lastCompleted) <= 1)
        {
            return;
        }

        var limit = Math.Min(Volatile.Read(ref _averageFlushTicks) / 2, Stopwatch.Frequency / 1000);
        var quiet = Stopwatch.Frequency / 20_000;
        var start = Stopwatch.GetTimestamp();
        var lastChange = start;
        var written = _log.WrittenPosition;
        while (true)
        {
            Thread.Yield();
            var now = Stopwatch.GetTimestamp();
            var current = _log.WrittenPosition;
            if (current != written)
            {
                written = current;
                lastChange = now;
            }

            if (now - start >= limit || now - lastChange >= quiet)
            {
                return;
            }
        }
    }

    private void FlushOnce()
    {
        var target = _log.WrittenPosition;
        var durable = _log.DurablePosition;
        if (target > durable)
        {
            var segment = _log.Acquire(target - 1);
            if (segment is not null)
            {
                var started = _time.GetTimestamp();
                Volatile.Write(ref _flushTarget, target);
                Volatile.Write(ref _flushStarted, started);
                try
                {
                    _hooks?.BeforeFlush?.Invoke();
                    segment.FlushData();
                }
                catch (IOException ex)
                {
                    Failed(ex, durable, target);
                    return;
                }
                finally
                {
                    Volatile.Write(ref _flushStarted, 0);
                    segment.Release();
                }

                _log.AdvanceDurable(target);
                var elapsed = _time.GetElapsedTime(started);
                _instruments.Flushed(elapsed, target - durable);
                var ticks = (long)(elapsed.TotalSeconds * Stopwatch.Frequency);
                Volatile.Write(ref _averageFlushTicks, (Volatile.Read(ref _averageFlushTicks) * 7 / 8) + (ticks / 8));
            }
        }

        CompleteDurable();
        _trimmer.OnDurable(_log.DurablePosition);
    }

    private void CompleteDurable()
    {
        // A request of a failed epoch is taken whatever its offset: it is answered with IoError below.
        var failed = Volatile.Read(ref _failedEpoch);
        _pending.TakeWhile(static (request, state) => request.Epoch <= state.Failed || request.EndLogOffset <= state.Durable, (Failed: failed, Durable: _log.DurablePosition), _taken);
        var completed = 0;
        foreach (var request in _taken)
        {
            if (request.Epoch <= failed)
            {
                _completer.Failed(request, AppendStatus.IoError);
                continue;
            }

            request.Queue!.PublishVisible(request.LastQueueOffset + 1);
            _completer.Stored(request, AppendStatus.Ok);
            completed++;
        }

        _taken.Clear();
        if (completed > 0)
        {
            Volatile.Write(ref _lastCompleted, completed);
        }
    }

    private void FailAll(AppendStatus status)
    {
        var all = new List<AppendRequest>();
        _pending.TakeAll(all);
        foreach (var request in all)
        {
            _completer.Failed(request, status);
        }
    }

    private void Failed(IOException exception, long durable, long target)
    {
        _logger.FlushFailed(exception, durable, target);
        if (!IsSync)
        {
            return;
        }

        // The rewind is requested before anyone hears of the failure: a caller that retries on the answer must find the
        // writer about to rewind, or its retry could be written into the failed epoch and be failed with it.
        Volatile.Write(ref _failedEpoch, _writer.Epoch);
        _writer.RequestRewind();
        FailOldEpoch();
    }

    private void FailOldEpoch()
    {
        var failed = new List<AppendRequest>();
        _pending.TakeWhile(static (request, epoch) => request.Epoch <= epoch, Volatile.Read(ref _failedEpoch), failed);
        foreach (var request in failed)
        {
            _completer.Failed(request, AppendStatus.IoError);
        }
    }
}
