using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using OrleansMq.Storage.Checkpoint;
using OrleansMq.Storage.CommitLog;
using OrleansMq.Storage.Configuration;
using OrleansMq.Storage.ConsumeQueue;
using OrleansMq.Storage.Diagnostics;
using OrleansMq.Storage.Flush;
using OrleansMq.Storage.Index;
using OrleansMq.Storage.Internal;
using OrleansMq.Storage.Recovery;
using OrleansMq.Storage.Retention;

namespace OrleansMq.Storage;

/// <summary>
/// A broker's local store: one commit log for all topics, a consume queue per (topic, queue), key indexes.
/// </summary>
/// <remarks>
/// Thread-safety: every member may be called concurrently. Appends are serialized by a single writer that batches
/// concurrent callers into one write and, under the sync policy, one flush (group commit).
/// Buffers: the store does not keep caller buffers after the returned task completes.
/// Durability: an append is acknowledged as the configured <see cref="Flush.FlushPolicy"/> promises, and reads
/// never return a record past the position that policy acknowledges.
/// Threads: one writer thread, one flush thread, and timer callbacks for checkpoints (every second), the flush
/// timeout watchdog and retention. Files: <c>store.meta</c>, <c>checkpoint</c>, <c>lock</c>,
/// <c>commitlog/</c>, <c>consumequeue/</c>, <c>index/</c> (see <c>docs/storage-format.md</c>).
/// Argument errors (empty or over-long topic, negative queue id, non-positive limits) throw
/// <see cref="ArgumentException"/>: the broker validates names before they reach the store.
/// </remarks>
public sealed partial class MessageStore : IAsyncDisposable
{
    /// <summary>Bound on appends queued for the writer; callers beyond it wait (backpressure) instead of growing memory.</summary>
    private const int MaxPendingAppends = 16_384;


    private readonly MessageStoreOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SafeFileHandle _lock;
    private readonly CheckpointFile _checkpoint;
    private readonly CommitLog.CommitLog _log;
    private readonly ConsumeQueueTable _queues;
    private readonly KeyIndex? _index;
    private long _indexCovered; // Log offset below which every index entry was flushed (checkpoint lock).
    private long _indexFlushedAt; // Timestamp of that flush; 0 before the first (checkpoint lock).
    private readonly CommitLogWriter _writer;
    private readonly FlushService _flusher;
    private readonly DiskMonitor _disk;
    private readonly RetentionService _retention;
    private readonly StorageInstruments _instruments;
    private readonly SegmentPreparer? _preparer;
    private readonly SemaphoreSlim _slots;
    private readonly SemaphoreSlim _slotOrder = new(1, 1); // Taken while appends wait for a slot: they get it in call order.
    private readonly Lock _checkpointLock = new();
    private readonly List<ITimer> _timers = [];
    private int _retentionRunning;
    private int _checkpointDue;
    private readonly AutoResetEvent _checkpointWake = new(false);
    private Thread? _checkpointThread;
    private volatile bool _closed;
    private int _disposed;

    private MessageStore(MessageStoreOptions options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider, StoreTestHooks? hooks)
    {
        MessageStoreOptionsValidator.Validate(options);
        var clock = Stopwatch.StartNew();
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("OrleansMq.Storage.MessageStore");
        _time = timeProvider ?? TimeProvider.System;
        var maxPending = hooks?.MaxPendingAppends ?? MaxPendingAppends;
        _slots = new SemaphoreSlim(maxPending, maxPending);
        var directory = Path.GetFullPath(options.Directory);
        System.IO.Directory.CreateDirectory(directory);
        _lock = AcquireLock(directory);
        var opened = new List<IDisposable>();
        try
        {
            StoreId = StoreMetadata.LoadOrCreate(directory, _time);
            _checkpoint = new CheckpointFile(Path.Combine(directory, "checkpoint"));
            opened.Add(_checkpoint);
            _instruments = new StorageInstruments(directory);
            opened.Add(_instruments);
            var sync = options.FlushPolicy.IsSync;
            _log = new CommitLog.CommitLog(Path.Combine(directory, "commitlog"), visibleIsDurable: sync);
            _queues = new ConsumeQueueTable(Path.Combine(directory, "consumequeue"), options.ConsumeQueueEntriesPerFile);
            _index = options.IndexEnabled ? new KeyIndex(Path.Combine(directory, "index"), options.IndexEntriesPerFile) : null;
            _index?.Load();
            var dispatcher = new Dispatcher(_queues, _index, _logger);
            var recovered = new LogRecovery(_log, _queues, dispatcher, _checkpoint.Current, options, _logger).Run();
            _disk = new DiskMonitor(hooks?.DiskSpaceProbe ?? DriveDiskSpaceProbe.Instance, directory, options.MinFreeDiskBytes, _logger);
            var completer = new AppendCompleter(_slots, _instruments, _time);
            _preparer = sync && options.PrepareSegments ? new SegmentPreparer(_log.Directory, _disk, _logger) : null;
            _writer = new CommitLogWriter(_log, _queues, dispatcher, completer, options, _time, _logger, _instruments, _disk, hooks, _preparer, recovered.EndOffset, recovered.LastStoreTimestamp);
            _flusher = new FlushService(sync, _log, _writer, completer, new PageCacheTrimmer(_log, options.LogCacheBytes), _time, _logger, _instruments, hooks);
            _retention = new RetentionService(_log, _queues, _index, _disk, options, _time, _logger, _instruments, () => _writer.LastStoreTimestamp);
            _index?.DeleteBelow(_log.MinOffset);
            NativeMethods.FlushDirectory(directory); // commitlog/, consumequeue/, index/ themselves must survive a crash.
            _disk.Check();
            WriteCheckpoint(clean: false);
            _writer.Start(_flusher);
            _flusher.Start();
            StartTimers(hooks?.CheckpointInterval ?? options.CheckpointInterval);
            _logger.StoreOpened(directory, StoreId, _log.MinOffset, recovered.EndOffset, _log.Segments.Length, _queues.All.Count, options.FlushPolicy.ToString() ?? "", clock.ElapsedMilliseconds);
        }
        catch
        {
            _closed = true;
            _log?.Close();
            if (_queues is not null)
            {
                foreach (var queue in _queues.All)
                {
                    queue.Close();
                }
            }

            _index?.Close();
            foreach (var item in opened)
            {
                item.Dispose();
            }

            _lock.Dispose();
            throw;
        }
    }

    /// <summary>Opens (creating or recovering) the store in <see cref="MessageStoreOptions.Directory"/>.</summary>
    /// <remarks>Only one store may have a directory open at a time (an exclusive lock on the <c>lock</c> file).</remarks>
    /// <exception cref="ArgumentException">Invalid options (message names the option, value and limit).</exception>
    /// <exception cref="CorruptLogException">A corrupt record before the log tail (names file and offset).</exception>
    /// <exception cref="IOException">The directory is locked by another open store, or unreadable.</exception>
    public static Task<MessageStore> OpenAsync(MessageStoreOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
        => OpenAsync(options, null, loggerFactory, timeProvider, cancellationToken);

    internal static Task<MessageStore> OpenAsync(MessageStoreOptions options, StoreTestHooks? hooks, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        MessageStoreOptionsValidator.Validate(options);
        return Task.Run(() => new MessageStore(options, loggerFactory, timeProvider, hooks), cancellationToken);
    }

    /// <summary>Random id of this store, created with it and persisted; part of every <see cref="Codec.MessageId"/>.</summary>
    public long StoreId { get; }

    /// <summary>The options the store was opened with.</summary>
    public MessageStoreOptions Options => _options;

    /// <summary>Positions and disk usage.</summary>
    public StoreStatus GetStatus()
    {
        var segments = _log.Segments;
        long bytes = 0;
        foreach (var segment in segments)
        {
            bytes += segment.Capacity;
        }

        foreach (var queue in _queues.All)
        {
            bytes += queue.FileBytes();
        }

        bytes += _index?.FileBytes() ?? 0;
        var space = _closed ? _disk.Last : _disk.Check();
        return new StoreStatus
        {
            WrittenPosition = _log.WrittenPosition,
            DurablePosition = _log.DurablePosition,
            MinLogOffset = _log.MinOffset,
            SegmentCount = segments.Length,
            StoreBytes = bytes,
            DiskTotalBytes = space.TotalBytes,
            DiskFreeBytes = space.FreeBytes,
            IsDiskFull = _disk.IsFull,
        };
    }

    /// <summary>Flushes, writes the checkpoint and closes every file. Pending appends complete with <see cref="AppendStatus.StoreClosed"/>.</summary>
    /// <remarks>Appends already written complete normally (after their flush). Idempotent.</remarks>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        return new ValueTask(Task.Run(Close));
    }

    /// <summary>Runs retention and the disk check now (tests; the timer does the same).</summary>
    internal int RunRetention()
    {
        if (Interlocked.Exchange(ref _retentionRunning, 1) != 0)
        {
            return 0;
        }

        try
        {
            return _retention.Run();
        }
        finally
        {
            Volatile.Write(ref _retentionRunning, 0);
        }
    }

    /// <summary>Holds the segment containing <paramref name="logOffset"/> like a reader does (tests of deferred deletion).</summary>
    internal IDisposable? HoldSegment(long logOffset)
    {
        var segment = _log.Acquire(logOffset);
        return segment is null ? null : new SegmentHold(segment);
    }

    internal CommitLog.CommitLog Log => _log;

    /// <summary>Writes and syncs every consume queue without a checkpoint (tests: a crash after the queues reached the disk).</summary>
    internal void FlushConsumeQueues()
    {
        foreach (var queue in _queues.All)
        {
            queue.Flush();
        }
    }

    /// <summary>Completes when the next segment is prepared (sync policy): benchmarks measure the steady state.</summary>
    internal Task WhenNextSegmentPreparedAsync() => _preparer?.WhenReadyAsync() ?? Task.CompletedTask;

    private void Close()
    {
        _closed = true;
        foreach (var timer in _timers)
        {
            timer.Dispose();
        }

        _checkpointWake.Set();
        _checkpointThread?.Join(); // Lets a checkpoint in progress finish before the files close.

        _writer.Stop();
        _flusher.Stop();
        _preparer?.Dispose();
        try
        {
            WriteCheckpoint(clean: true);
        }
        catch (IOException ex)
        {
            _logger.MaintenanceFailed(ex, "final checkpoint");
        }

        _logger.StoreClosed(_options.Directory, _log.WrittenPosition);
        foreach (var queue in _queues.All)
        {
            queue.Close();
        }

        _index?.Close();
        _log.Close();
        _checkpoint.Dispose();
        _instruments.Dispose();
        _checkpointWake.Dispose();
        _lock.Dispose();
    }

    /// <summary>
    /// Flushes consume queues (and the index when due), then records what is durable and dispatched. With
    /// <paramref name="paced"/> (the checkpoint thread only: it sleeps between chunks) their write-back is paced.
    /// </summary>
    private void WriteCheckpoint(bool clean, bool flushIndex = false, bool paced = false)
    {
        lock (_checkpointLock)
        {
            var dispatched = _writer.DispatchedPosition;
            // Every queue is written back before the first sync: that sync then commits the file system's journal for
            // all of them and the rest find their pages written, instead of a journal commit per file (with 1,000
            // queues a checkpoint took 0.6-1.2 s, each commit also delaying the log's own group-commit syncs). On the
            // checkpoint thread the write-back is paced, so tens of MiB do not queue ahead of the log's syncs.
            foreach (var queue in _queues.All)
            {
                queue.WriteBack(paced);
            }

            foreach (var queue in _queues.All)
            {
                queue.Flush();
            }

            var covered = dispatched;
            if (_index is not null)
            {
                // The index is flushed less often than the queues (IndexFlushInterval): its hash slots are written at
                // random, so each flush writes back thousands of scattered pages and stalls the writer. The checkpoint
                // then claims only what the last index flush covered, and recovery replays from there.
                if (clean || flushIndex || _indexFlushedAt == 0 || _time.GetElapsedTime(_indexFlushedAt) >= _options.IndexFlushInterval
                    || dispatched - _indexCovered >= _options.IndexFlushBytes)
                {
                    _index.Flush(paced);
                    _indexCovered = dispatched;
                    _indexFlushedAt = _time.GetTimestamp();
                }

                covered = Math.Min(dispatched, _indexCovered);
            }

            var durable = _log.DurablePosition;
            var data = new CheckpointData(durable, Math.Min(covered, durable), _writer.LastStoreTimestamp, clean);
            if (data != _checkpoint.Current || !_checkpoint.Found)
            {
                // An idle store writes nothing: no fdatasync per interval when nothing moved.
                _checkpoint.Write(data);
            }
        }
    }

    /// <summary>Writer thread, topic deletion: makes everything so far durable and checkpointed so replay never resurrects the topic.</summary>
    private void DeleteTopicOnWriter(CommitLogWriter writer, string topic)
    {
        var removed = _queues.Remove(topic);
        foreach (var queue in removed)
        {
            queue.Delete();
        }

        writer.FlushNow();
        WriteCheckpoint(clean: false, flushIndex: true);
        _logger.TopicDeleted(topic, removed.Count);
    }

    private void StartTimers(TimeSpan checkpointInterval)
    {
        // A checkpoint blocks on the disk (with 1,000 queues its syncs took over a second), so the timer only marks it due
        // and the store's own thread runs it, as the writer and the flusher have theirs: a thread-pool thread blocked
        // that long is half the pool on a two-core machine, and every grain call waits for the other half.
        if (checkpointInterval != Timeout.InfiniteTimeSpan)
        {
            _checkpointThread = new Thread(RunCheckpoints) { IsBackground = true, Name = "OrleansMq store checkpoints" };
            _checkpointThread.Start();
            _timers.Add(_time.CreateTimer(_ => MarkCheckpointDue(), null, checkpointInterval, checkpointInterval));
        }

        _timers.Add(_time.CreateTimer(_ => Guard(ref _retentionRunning, "retention", () => _retention.Run()), null, _options.RetentionCheckInterval, _options.RetentionCheckInterval));
        if (_options.FlushPolicy.IsSync)
        {
            var period = TimeSpan.FromTicks(Math.Clamp(_options.FlushTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
            _timers.Add(_time.CreateTimer(_ => _flusher.CheckTimeout(_options.FlushTimeout), null, period, period));
        }
        else
        {
            var interval = _options.FlushPolicy.Interval;
            _timers.Add(_time.CreateTimer(_ => _flusher.Signal(), null, interval, interval));
        }
    }

    private void MarkCheckpointDue()
    {
        Volatile.Write(ref _checkpointDue, 1);
        _checkpointWake.Set();
    }

    /// <summary>The checkpoint thread: writes each due checkpoint, one at a time, until the store closes.</summary>
    private void RunCheckpoints()
    {
        while (!_closed)
        {
            _checkpointWake.WaitOne();
            if (Interlocked.Exchange(ref _checkpointDue, 0) != 0 && !_closed)
            {
                try
                {
                    WriteCheckpoint(clean: false, paced: true);
                }
                catch (Exception ex)
                {
                    // The next tick tries again; the thread must outlive a failed checkpoint.
                    _logger.MaintenanceFailed(ex, "checkpoint");
                }
            }
        }
    }

    private void Guard(ref int running, string task, Action action)
    {
        if (_closed || Interlocked.Exchange(ref running, 1) != 0)
        {
            return;
        }

        try
        {
            action();
        }
        catch (Exception ex)
        {
            // Timer callbacks must never take the process down; the next tick tries again.
            _logger.MaintenanceFailed(ex, task);
        }
        finally
        {
            Volatile.Write(ref running, 0);
        }
    }

    private static SafeFileHandle AcquireLock(string directory)
    {
        var path = Path.Combine(directory, "lock");
        try
        {
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"The message store directory '{directory}' is already open (lock file '{path}' is held).", ex);
        }
    }

    private sealed class SegmentHold(Segment segment) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                segment.Release();
            }
        }
    }
}
