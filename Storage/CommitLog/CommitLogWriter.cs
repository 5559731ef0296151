using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.Configuration;
using OrleansMq.Storage.ConsumeQueue;
using OrleansMq.Storage.Diagnostics;
using OrleansMq.Storage.Flush;
using OrleansMq.Storage.Internal;
using OrleansMq.Storage.Retention;

namespace OrleansMq.Storage.CommitLog;

/// <summary>
/// The single writer of the commit log (group commit). One dedicated thread drains the queue of pending appends,
/// encodes every record of the group into one pooled buffer, writes it with one positional write per segment
/// touched, dispatches the consume queue and index entries from those same bytes, then either acknowledges
/// (async policy) or hands the group to the <see cref="FlushService"/> (sync policy), which acknowledges after one
/// fdatasync covering the whole group.
/// </summary>
/// <remarks>
/// <para>Threading: all fields are owned by the writer thread. Other threads only call <see cref="Enqueue"/>,
/// <see cref="RequestRewind"/> and read <see cref="Epoch"/>/<see cref="DispatchedPosition"/>.</para>
/// <para>Ordering guarantees used by recovery: a record never spans segments; before the first byte is written to a
/// new segment, the previous one is closed with a filler and fdatasync'ed, so data in segment N+1 implies that
/// segment N is complete and durable.</para>
/// <para>Failures: a failed write completes its group with <see cref="AppendStatus.IoError"/>, puts queue offsets
/// back and zeroes what may have reached the file before accepting more appends; a failed fdatasync under the sync
/// policy rewinds the log, consume queues and offsets to the durable position (<see cref="RequestRewind"/>).</para>
/// </remarks>
internal sealed class CommitLogWriter
{
    /// <summary>
    /// Upper bound of one group. 4 MiB keeps a single pwrite well above the size where disks reach their
    /// sequential bandwidth (~1 MiB) while bounding the buffer and the latency of the first request in the group.
    /// </summary>
    private const int MaxGroupBytes = 4 << 20;

    /// <summary>Written bytes handed to writeback at once under sync (see <see cref="StartWriteback"/>).</summary>
    internal const long WritebackBytes = 128 << 10;

    private readonly ConcurrentQueue<object> _queue = new();
    private readonly ManualResetEventSlim _wake = new(false, 50);
    private readonly Thread _thread;
    private readonly CommitLog _log;
    private readonly ConsumeQueueTable _queues;
    private readonly Dispatcher _dispatcher;
    private readonly AppendCompleter _completer;
    private readonly MessageStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StorageInstruments _instruments;
    private readonly DiskMonitor _disk;
    private readonly StoreTestHooks? _hooks;
    private readonly List<object> _group = [];
    private readonly List<AppendRequest> _encoded = [];
    private readonly List<Chunk> _chunks = [];
    private readonly SegmentPreparer? _preparer;
    private FlushService? _flusher;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(MaxGroupBytes + (1 << 16));
    private int _sleeping;
    private volatile bool _stopping;
    private Segment? _active;
    private long _position;
    private long _writebackFrom; // Log offset from which written data has not been handed to writeback yet.
    private long _dispatched;
    private long _lastStoreTimestamp;
    private int _epoch;
    private volatile bool _rewindRequested;
    private volatile bool _faulted;
    private List<(Segment Segment, long Offset, long Length)>? _pendingErase;

    // Group state.
    private int _bufferPosition;
    private int _chunkStart;
    private long _chunkLogStart;
    private long _groupStartPosition;
    private Segment? _groupStartSegment;
    private long _groupFirstCreated;

    public CommitLogWriter(
        CommitLog log,
        ConsumeQueueTable queues,
        Dispatcher dispatcher,
        AppendCompleter completer,
        MessageStoreOptions options,
        TimeProvider time,
        ILogger logger,
        StorageInstruments instruments,
        DiskMonitor disk,
        StoreTestHooks? hooks,
        SegmentPreparer? preparer,
        long position,
        long lastStoreTimestamp)
    {
        _preparer = preparer;
        _log = log;
        _queues = queues;
        _dispatcher = dispatcher;
        _completer = completer;
        _options = options;
        _time = time;
        _logger = logger;
        _instruments = instruments;
        _disk = disk;
        _hooks = hooks;
        _position = position;
        _writebackFrom = position;
        _dispatched = position;
        _lastStoreTimestamp = lastStoreTimestamp;
        _active = log.Find(position) ?? (log.Segments.Length > 0 ? log.Segments[^1] : null);
        _thread = new Thread(Run) { IsBackground = true, Name = "OrleansMq commit log writer" };
    }

    /// <summary>Incremented at each rewind; requests written before a failed flush carry an older epoch.</summary>
    public int Epoch => Volatile.Read(ref _epoch);

    /// <summary>Log offset below which every record's consume queue and index entries are written.</summary>
    public long DispatchedPosition => Volatile.Read(ref _dispatched);

    public long LastStoreTimestamp => Volatile.Read(ref _lastStoreTimestamp);

    public void Start(FlushService flusher)
    {
        _flusher = flusher;
        _preparer?.Prepare(_active?.End ?? _position, _options.SegmentSize);
        _thread.Start();
    }

    /// <summary>Queues an <see cref="AppendRequest"/> or <see cref="WriterCommand"/>. Any thread.</summary>
    public void Enqueue(object item)
    {
        _queue.Enqueue(item);
        Interlocked.MemoryBarrier(); // Dekker with Sleep: the enqueue must be visible before _sleeping is read.
        if (Volatile.Read(ref _sleeping) == 1)
        {
            _wake.Set();
        }
    }

    /// <summary>Asks the writer to rewind to the durable position before its next write (flusher thread).</summary>
    public void RequestRewind()
    {
        _rewindRequested = true;
        _wake.Set();
    }

    /// <summary>Stops the thread; queued appends complete with <see cref="AppendStatus.StoreClosed"/>.</summary>
    public void Stop()
    {
        _stopping = true;
        _wake.Set();
        _thread.Join();
        FailQueued();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    /// <summary>Completes whatever is still queued with <see cref="AppendStatus.StoreClosed"/> (after <see cref="Stop"/>).</summary>
    public void FailQueued()
    {
        while (_queue.TryDequeue(out var item))
        {
            FailClosed(item);
        }
    }

    /// <summary>fdatasync of the active segment from the writer thread (topic deletion makes itself durable).</summary>
    public void FlushNow()
    {
        _active?.FlushData();
        _log.AdvanceDurable(_position);
    }

    private void Run()
    {
        while (true)
        {
            if (!_queue.TryDequeue(out var first))
            {
                if (_stopping)
                {
                    return;
                }

                if (_rewindRequested)
                {
                    RestoreTail();
                }

                Sleep();
                continue;
            }

            _group.Clear();
            _group.Add(first);
            long bytes = (first as AppendRequest)?.RecordBytes ?? 0;
            while (bytes < MaxGroupBytes && _queue.TryDequeue(out var next))
            {
                _group.Add(next);
                bytes += (next as AppendRequest)?.RecordBytes ?? 0;
            }

            try
            {
                ProcessGroup();
            }
            catch (Exception ex)
            {
                // A bug, not an IO failure (those are handled where they happen). The writer's state can no longer
                // be trusted: fail this group and every later append rather than risk writing a bad log.
                _logger.WriterFaulted(ex);
                _faulted = true;
                foreach (var item in _group)
                {
                    FailItem(item, AppendStatus.IoError);
                }
            }
        }
    }

    private void Sleep()
    {
        _wake.Reset();
        Volatile.Write(ref _sleeping, 1);
        Interlocked.MemoryBarrier();
        if (_queue.IsEmpty && !_stopping && !_rewindRequested)
        {
            _wake.Wait();
        }

        Volatile.Write(ref _sleeping, 0);
    }

    private void ProcessGroup()
    {
        if (_stopping)
        {
            foreach (var item in _group)
            {
                FailClosed(item);
            }

            return;
        }

        var restored = !_faulted && RestoreTail();
        BeginGroup();
        var now = NextStoreTimestamp();
        foreach (var item in _group)
        {
            if (item is AppendRequest request)
            {
                if (restored)
                {
                    Encode(request, now);
                }
                else
                {
                    request.StoreTimestamp = now;
                    _completer.Failed(request, AppendStatus.IoError);
                }
            }
            else
            {
                WriteGroup();
                ((WriterCommand)item).Run(this);
                BeginGroup();
            }
        }

        WriteGroup();
        if (_buffer.Length > 4 * MaxGroupBytes)
        {
            // A huge batch grew the buffer; give it back instead of pinning it for the store's lifetime.
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(MaxGroupBytes + (1 << 16));
        }
    }

    /// <summary>
    /// Under sync, hands every <see cref="WritebackBytes"/> written to the disk at once (<c>sync_file_range</c>), so the
    /// disk writes while the flusher lingers and syncs the previous group; the fdatasync then finds most of its data
    /// already written. In W1 this cut the fdatasync p50 from 1.28 to 0.87 ms (docs/benchmarks.md).
    /// </summary>
    private void StartWriteback()
    {
        if (_active is null)
        {
            return;
        }

        var from = Math.Max(_writebackFrom, _active.Start); // A sealed segment's tail was fdatasync'ed when it rolled.
        if (_position - from >= WritebackBytes)
        {
            _hooks?.BeforeWriteback?.Invoke(from, _position - from);
            _active.StartWriteback(from, _position - from);
            _writebackFrom = _position;
        }
    }

    private void BeginGroup()
    {
        _bufferPosition = 0;
        _chunkStart = 0;
        _chunkLogStart = _position;
        _groupStartPosition = _position;
        _groupStartSegment = _active;
        _groupFirstCreated = long.MaxValue;
        _chunks.Clear();
        _encoded.Clear();
    }

    private long NextStoreTimestamp()
    {
        // Store timestamps never go backwards, so time searches over the log stay sound when the clock steps back.
        var now = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), _lastStoreTimestamp);
        Volatile.Write(ref _lastStoreTimestamp, now);
        return now;
    }

    private void Encode(AppendRequest request, long now)
    {
        request.StoreTimestamp = now;
        if (request.ValidCount == 0)
        {
            _completer.Stored(request, AppendStatus.Ok);
            return;
        }

        if (_disk.IsFull)
        {
            _completer.Failed(request, AppendStatus.DiskFull);
            return;
        }

        var queue = _queues.GetOrAdd(request.Topic, request.QueueId);
        EnsureCapacity(request.RecordBytes + (RecordLayout.FillerSize * (2 + (int)(request.RecordBytes / MessageStoreOptionsValidator.MinSegmentSize))));
        var saved = (Buffer: _bufferPosition, Position: _position, Active: _active, Chunks: _chunks.Count, ChunkStart: _chunkStart, ChunkLogStart: _chunkLogStart, Created: _groupFirstCreated, Next: queue.NextOffset);
        request.FirstQueueOffset = queue.NextOffset;
        request.BufferStart = _bufferPosition;
        var results = request.Results;
        var topic = queue.TopicUtf8;
        var reader = new MessageBatchReader(request.Batch.Span);
        var i = 0;
        while (reader.TryRead(out var entry))
        {
            if (results[i].Status != AppendStatus.Invalid)
            {
                i++;
                continue;
            }

            var size = RecordLayout.RecordSize(topic.Length, entry.Properties.Length, entry.Body.Length);
            if (_active is null || _position + size > _active.End)
            {
                var failure = Roll();
                if (failure != AppendStatus.Ok)
                {
                    if (_groupFirstCreated != saved.Created)
                    {
                        _log.RemoveFrom(_groupFirstCreated);
                    }

                    (_bufferPosition, _position, _active, _chunkStart, _chunkLogStart, _groupFirstCreated) = (saved.Buffer, saved.Position, saved.Active, saved.ChunkStart, saved.ChunkLogStart, saved.Created);
                    _chunks.RemoveRange(saved.Chunks, _chunks.Count - saved.Chunks);
                    queue.NextOffset = saved.Next;
                    _completer.Failed(request, failure);
                    return;
                }
            }

            RecordLayout.Write(_buffer.AsSpan(_bufferPosition), topic, request.QueueId, queue.NextOffset, _position, entry.BornTimestamp, now, entry.Flags, entry.Properties, entry.Body);
            results[i] = new MessageAppendResult(AppendStatus.Ok, _position, queue.NextOffset);
            queue.NextOffset++;
            _bufferPosition += size;
            _position += size;
            i++;
        }

        request.Queue = queue;
        request.LastQueueOffset = queue.NextOffset - 1;
        request.EndLogOffset = _position;
        request.Epoch = _epoch;
        _encoded.Add(request);
    }

    /// <summary>Closes the active segment with a filler (in the buffer) and creates the next one.</summary>
    private AppendStatus Roll()
    {
        var nextStart = _position;
        if (_active is not null)
        {
            var remaining = _active.End - _position;
            if (remaining >= RecordLayout.FillerSize)
            {
                RecordLayout.WriteFiller(_buffer.AsSpan(_bufferPosition), (int)remaining);
                _bufferPosition += RecordLayout.FillerSize;
            }

            _chunks.Add(new Chunk(_active, _chunkStart, _bufferPosition - _chunkStart, _chunkLogStart, Seals: true));
            nextStart = _active.End;
        }

        try
        {
            var prepared = _preparer?.TryTake(nextStart, _options.SegmentSize);
            if (prepared is not null)
            {
                _log.Add(prepared);
                _active = prepared;
            }
            else if (!_disk.CanAllocate(_options.SegmentSize))
            {
                return AppendStatus.DiskFull;
            }
            else
            {
                _active = _log.CreateSegment(nextStart, _options.SegmentSize);
            }

            _preparer?.Prepare(_active.End, _options.SegmentSize);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.SegmentCreateFailed(nextStart, ex.Message);
            return ex is IOException io && DiskMonitor.IsOutOfSpace(io) ? AppendStatus.DiskFull : AppendStatus.IoError;
        }

        _groupFirstCreated = Math.Min(_groupFirstCreated, nextStart);
        _position = nextStart;
        _chunkStart = _bufferPosition;
        _chunkLogStart = nextStart;
        return AppendStatus.Ok;
    }

    private void EnsureCapacity(int needed)
    {
        if (_buffer.Length - _bufferPosition >= needed)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(_bufferPosition + needed);
        _buffer.AsSpan(0, _bufferPosition).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }

    private void WriteGroup()
    {
        if (_active is not null && _bufferPosition > _chunkStart)
        {
            _chunks.Add(new Chunk(_active, _chunkStart, _bufferPosition - _chunkStart, _chunkLogStart, Seals: false));
            _chunkStart = _bufferPosition;
            _chunkLogStart = _position;
        }

        if (_encoded.Count == 0 && _chunks.Count == 0)
        {
            return;
        }

        try
        {
            foreach (var chunk in _chunks)
            {
                if (chunk.Length > 0)
                {
                    _hooks?.BeforeWrite?.Invoke(chunk.LogOffset, chunk.Length);
                    chunk.Segment.Write(chunk.LogOffset, _buffer.AsSpan(chunk.BufferStart, chunk.Length));
                }

                if (chunk.Seals)
                {
                    _hooks?.BeforeFlush?.Invoke();
                    chunk.Segment.FlushData();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            HandleWriteFailure(ex, dispatched: false);
            BeginGroup();
            return;
        }

        if (_flusher!.IsSync)
        {
            StartWriteback();
        }

        long messages = 0;
        try
        {
            foreach (var request in _encoded)
            {
                Dispatch(request);
                messages += request.ValidCount;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A consume queue or index file could not be created or written (ENOSPC...): undo the whole group.
            HandleWriteFailure(ex, dispatched: true);
            BeginGroup();
            return;
        }

        // Published only after dispatch, so the flusher never syncs (and no reader sees) a half-dispatched group.
        _log.WrittenPosition = _position;
        Volatile.Write(ref _dispatched, _position);
        _instruments.Appended(_position - _groupStartPosition, messages);
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _logger.GroupWritten(_encoded.Count, _bufferPosition, _groupStartPosition);
        }

        if (_flusher!.IsSync)
        {
            _flusher.Enqueue(_encoded);
            _flusher.Signal();
        }
        else
        {
            foreach (var request in _encoded)
            {
                request.Queue!.PublishVisible(request.LastQueueOffset + 1);
                _completer.Stored(request, AppendStatus.Ok);
            }
        }

        BeginGroup();
    }

    /// <summary>Dispatches the records of one request from the group buffer, after prefetching their key index slots.</summary>
    private void Dispatch(AppendRequest request)
    {
        if (_dispatcher.HasIndex)
        {
            Walk(request, prefetch: true);
        }

        Walk(request, prefetch: false);
    }

    /// <summary>Visits the records of one request in the group buffer (skipping a filler between them).</summary>
    private void Walk(AppendRequest request, bool prefetch)
    {
        var position = request.BufferStart;
        var remaining = request.ValidCount;
        while (remaining > 0)
        {
            var span = _buffer.AsSpan(position);
            if (BinaryPrimitives.ReadUInt32LittleEndian(span[RecordLayout.MagicOffset..]) == RecordLayout.FillerMagic)
            {
                position += RecordLayout.FillerSize;
                continue;
            }

            var size = BinaryPrimitives.ReadInt32LittleEndian(span);
            if (prefetch)
            {
                _dispatcher.Prefetch(span[..size]);
            }
            else
            {
                _hooks?.BeforeDispatch?.Invoke(RecordLayout.ReadLogOffset(span));
                _dispatcher.Dispatch(span[..size], request.Queue);
            }

            position += size;
            remaining--;
        }
    }

    private void HandleWriteFailure(Exception exception, bool dispatched)
    {
        _logger.WriteFailed(exception, _groupStartPosition, _bufferPosition, _encoded.Count);
        for (var i = _encoded.Count - 1; i >= 0; i--)
        {
            var request = _encoded[i];
            if (dispatched)
            {
                request.Queue!.TruncateAt(request.FirstQueueOffset);
            }

            request.Queue!.NextOffset = request.FirstQueueOffset;
        }

        // Whatever reached the old segment may be a torn or even complete record that was never acknowledged:
        // it must be zeroed before anything else is written, or a later recovery could resurrect it.
        var erase = new List<(Segment, long, long)>();
        foreach (var chunk in _chunks)
        {
            if (chunk.Segment.Start < _groupFirstCreated)
            {
                erase.Add((chunk.Segment, chunk.LogOffset, chunk.Length));
            }
        }

        if (_groupFirstCreated != long.MaxValue)
        {
            _log.RemoveFrom(_groupFirstCreated);
        }

        _position = _groupStartPosition;
        _writebackFrom = Math.Min(_writebackFrom, _position);
        _active = _groupStartSegment;
        _pendingErase = erase.Count > 0 ? erase : null;
        foreach (var request in _encoded)
        {
            _completer.Failed(request, AppendStatus.IoError);
        }

        TryErase();
    }

    /// <summary>Performs a requested rewind and any pending erase; false while the tail is not consistent.</summary>
    private bool RestoreTail()
    {
        if (_rewindRequested)
        {
            Rewind();
        }

        return _pendingErase is null || TryErase();
    }

    private void Rewind()
    {
        var durable = _log.DurablePosition;
        if (_position > durable)
        {
            _logger.Rewound(_position, durable);
            var erase = new List<(Segment, long, long)>();
            var holder = _log.Find(durable);
            if (holder is not null)
            {
                erase.Add((holder, durable, Math.Min(holder.End, _position) - durable));
                _log.RemoveFrom(holder.End);
            }
            else
            {
                _log.RemoveFrom(durable);
            }

            foreach (var queue in _queues.All)
            {
                queue.TruncateFromLogOffset(durable);
            }

            _position = durable;
            _writebackFrom = Math.Min(_writebackFrom, durable);
            var segments = _log.Segments;
            _active = _log.Find(durable) ?? (segments.Length > 0 ? segments[^1] : null);
            _log.WrittenPosition = durable;
            Volatile.Write(ref _dispatched, durable);
            _pendingErase = erase.Count > 0 ? [.. (_pendingErase ?? []), .. erase] : _pendingErase;
        }

        Interlocked.Increment(ref _epoch);
        _rewindRequested = false;
    }

    private bool TryErase()
    {
        if (_pendingErase is null)
        {
            return true;
        }

        try
        {
            Span<byte> zeros = stackalloc byte[4096];
            zeros.Clear();
            foreach (var (segment, offset, length) in _pendingErase)
            {
                if (segment.IsRetired)
                {
                    continue;
                }

                for (long done = 0; done < length; done += zeros.Length)
                {
                    _hooks?.BeforeWrite?.Invoke(offset + done, (int)Math.Min(zeros.Length, length - done));
                    segment.Write(offset + done, zeros[..(int)Math.Min(zeros.Length, length - done)]);
                }

                _hooks?.BeforeFlush?.Invoke();
                segment.FlushData();
            }

            _pendingErase = null;
            return true;
        }
        catch (IOException ex)
        {
            _logger.RestoreFailed(ex, _position);
            return false;
        }
    }

    private void FailClosed(object item) => FailItem(item, AppendStatus.StoreClosed);

    private void FailItem(object item, AppendStatus status)
    {
        if (item is AppendRequest request)
        {
            _completer.Failed(request, status);
        }
        else if (status == AppendStatus.StoreClosed)
        {
            ((WriterCommand)item).TrySetException(new ObjectDisposedException(nameof(MessageStore)));
        }
        else
        {
            ((WriterCommand)item).TrySetException(new IOException("The commit log writer has faulted; see the log."));
        }
    }

    private readonly record struct Chunk(Segment Segment, int BufferStart, int Length, long LogOffset, bool Seals);
}
