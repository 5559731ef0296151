using Microsoft.Win32.SafeHandles;

namespace OrleansMq.Storage.Internal;

/// <summary>
/// Fixed-size entries written in order into a region of a file (a consume queue file, the key index's entries), the
/// newest of them kept in a memory block until the block fills or a checkpoint persists it with one <c>pwrite</c>.
/// </summary>
/// <remarks>
/// <para>Why not a writable mapping, as RocketMQ uses: on this class of VM the first write to a mapped page costs
/// 6–9 µs, and every msync write-protects each dirty page with a TLB shootdown that the next write faults on again;
/// together ~10% of the broker's CPU in W1. A block costs one syscall per few hundred entries and no page-table work.</para>
/// <para>Threading: one writer (<see cref="Write"/>, <see cref="Truncate"/>); readers (<see cref="Read"/>) run
/// concurrently and must only ask for entries they know were written (e.g. below a published maximum), which then
/// come either from the block that holds them or from the file, where every block is written before the next one is
/// published. <see cref="Persist"/> and <see cref="Sync"/> run on any thread (the checkpoint). Blocks are never
/// reused, so a reader holding an old one reads valid bytes; the writer's append never takes the lock.</para>
/// <para>Blocks start at <see cref="MinBlockBytes"/> and double each time one fills, up to the maximum given, so a
/// queue written rarely holds a few KiB and a busy one a syscall per maximum block.</para>
/// </remarks>
internal sealed class EntryRegion
{
    /// <summary>Bytes of a region's first block (about one page).</summary>
    public const int MinBlockBytes = 4096;

    private const int ZeroChunk = 64 * 1024;

    /// <summary>A region whose last block took longer than this to fill gets its next block on the pinned heap.</summary>
    private const int LongLivedBlockMilliseconds = 500;

    private readonly Lock _lock = new();
    private readonly SafeFileHandle _handle;
    private readonly long _start;
    private readonly int _entrySize;
    private readonly long _capacity;
    private readonly int _maxBlockEntries;
    private Block? _block;
    private int _nextBlockEntries;
    private int _unsynced;
    private long _dirtyFrom = long.MaxValue; // File range written since the last write-back (under _lock).
    private long _dirtyTo;

    /// <param name="handle">The file, open for reading and writing; owned by the caller.</param>
    /// <param name="start">File position of entry 0.</param>
    /// <param name="entrySize">Bytes per entry.</param>
    /// <param name="capacity">Entries the region holds; the file must be at least <c>start + capacity * entrySize</c> long.</param>
    /// <param name="maxBlockBytes">Upper bound of a block (memory per region, bytes per <c>pwrite</c>).</param>
    public EntryRegion(SafeFileHandle handle, long start, int entrySize, long capacity, int maxBlockBytes)
    {
        _handle = handle;
        _start = start;
        _entrySize = entrySize;
        _capacity = capacity;
        _maxBlockEntries = Math.Max(1, maxBlockBytes / entrySize);
        _nextBlockEntries = Math.Min(_maxBlockEntries, Math.Max(1, MinBlockBytes / entrySize));
    }

    /// <summary>Entries the region holds.</summary>
    public long Capacity => _capacity;

    /// <summary>Bytes of entries held in memory (the current block's capacity).</summary>
    public int BufferedBytes => Volatile.Read(ref _block)?.Bytes.Length ?? 0;

    /// <summary>Notes a change to the file outside the region (its size) for the next <see cref="Sync"/>.</summary>
    public void MarkUnsynced() => Volatile.Write(ref _unsynced, 1);

    /// <summary>Stores entry <paramref name="index"/> (single writer). Appending after the last entry is lock-free.</summary>
    public void Write(long index, ReadOnlySpan<byte> entry)
    {
        var block = _block;
        if (block is not null)
        {
            var count = block.Count;
            if (index - block.First == count && count < block.Capacity)
            {
                entry.CopyTo(block.Bytes.AsSpan(count * _entrySize, _entrySize));
                Volatile.Write(ref block.Count, count + 1);
                return;
            }
        }

        WriteSlow(index, entry);
    }

    /// <summary>
    /// Copies the entries from <paramref name="index"/> into <paramref name="destination"/> (a whole number of
    /// entries). Entries never written read as zeros.
    /// </summary>
    /// <exception cref="IOException">Reading the file failed.</exception>
    public void Read(long index, Span<byte> destination)
    {
        var block = Volatile.Read(ref _block);
        while (!destination.IsEmpty)
        {
            var wanted = destination.Length / _entrySize;
            if (block is not null && index >= block.First)
            {
                var inBlock = index - block.First;
                var count = Volatile.Read(ref block.Count);
                if (inBlock < count)
                {
                    var take = (int)Math.Min(count - inBlock, wanted) * _entrySize;
                    block.Bytes.AsSpan((int)inBlock * _entrySize, take).CopyTo(destination);
                    destination = destination[take..];
                    index += take / _entrySize;
                    continue;
                }

                ReadFile(index, destination);
                return;
            }

            var fromFile = block is null ? wanted : (int)Math.Min(wanted, block.First - index);
            ReadFile(index, destination[..(fromFile * _entrySize)]);
            destination = destination[(fromFile * _entrySize)..];
            index += fromFile;
        }
    }

    /// <summary>Writes what the block holds beyond what is already in the file. Safe beside the writer.</summary>
    /// <returns>True when the region has writes not yet made durable by <see cref="Sync"/>.</returns>
    /// <exception cref="IOException">Writing failed; nothing is lost from memory, the next call retries.</exception>
    public bool Persist()
    {
        lock (_lock)
        {
            var block = _block;
            if (block is not null)
            {
                PersistLocked(block);
                if (block.Persisted == block.Capacity)
                {
                    // Full and in the file: the writer's next entry starts a new block anyway, so the memory can go.
                    _nextBlockEntries = Math.Min(_maxBlockEntries, block.Capacity * 2);
                    Volatile.Write(ref _block, null);
                }
            }
        }

        return Volatile.Read(ref _unsynced) != 0;
    }

    /// <summary>
    /// Writes back what was written to the file since the last call (after <see cref="Persist"/>), before the
    /// <see cref="Sync"/> that makes it durable: <paramref name="paced"/>, chunk by chunk with pauses (the checkpoint
    /// thread, <see cref="NativeMethods.WriteBackPaced"/>), else only started (<c>sync_file_range</c>, no wait). A
    /// checkpoint writes every file back before it syncs any.
    /// </summary>
    public void WriteBack(bool paced)
    {
        long from, to;
        lock (_lock)
        {
            (from, to) = (_dirtyFrom, _dirtyTo);
            (_dirtyFrom, _dirtyTo) = (long.MaxValue, 0);
        }

        if (from < to)
        {
            if (paced)
            {
                NativeMethods.WriteBackPaced(_handle, from, to - from);
            }
            else
            {
                NativeMethods.StartWriteback(_handle, from, to - from);
            }
        }
    }

    /// <summary>fdatasync when something was written since the last one (the checkpoint, after <see cref="Persist"/>).</summary>
    /// <exception cref="IOException">The device reported an error; the region stays marked unsynced.</exception>
    public void Sync() => SyncFlag.SyncIfSet(ref _unsynced, _handle, NativeMethods.FlushData);

    /// <summary>Erases entries from <paramref name="index"/> to the end of the region (single writer: recovery, rewind).</summary>
    public void Truncate(long index)
    {
        lock (_lock)
        {
            var block = _block;
            if (block is not null)
            {
                if (index <= block.First)
                {
                    Volatile.Write(ref _block, null);
                }
                else if (index - block.First < block.Count)
                {
                    var keep = (int)(index - block.First);
                    block.Bytes.AsSpan(keep * _entrySize).Clear();
                    block.Persisted = Math.Min(block.Persisted, keep);
                    Volatile.Write(ref block.Count, keep);
                }
            }

            var from = _start + (index * _entrySize);
            if (NativeMethods.ZeroRange(_handle, from, _start + (_capacity * _entrySize) - from))
            {
                Volatile.Write(ref _unsynced, 1); // A punched hole needs a sync, not a write-back.
            }
        }
    }

    /// <summary>
    /// The position of the first entry at or after <paramref name="index"/> holding a non-zero byte, or -1. Reads the
    /// file in chunks (opening a queue, not a hot path).
    /// </summary>
    public long FindFirstWritten(long index)
    {
        var chunk = new byte[ZeroChunk / _entrySize * _entrySize];
        while (index < _capacity)
        {
            var entries = (int)Math.Min(chunk.Length / _entrySize, _capacity - index);
            var span = chunk.AsSpan(0, entries * _entrySize);
            Read(index, span);
            var found = span.IndexOfAnyExcept((byte)0);
            if (found >= 0)
            {
                return index + (found / _entrySize);
            }

            index += entries;
        }

        return -1;
    }

    private void WriteSlow(long index, ReadOnlySpan<byte> entry)
    {
        if ((ulong)index >= (ulong)_capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The region holds entries 0..{_capacity - 1}.");
        }

        lock (_lock)
        {
            var block = _block;
            if (block is not null && index >= block.First && index - block.First < block.Count)
            {
                // Rewriting an entry (a replay over entries already stored): in place, and written to the file again.
                var at = (int)(index - block.First);
                entry.CopyTo(block.Bytes.AsSpan(at * _entrySize, _entrySize));
                block.Persisted = Math.Min(block.Persisted, at);
                return;
            }

            if (block is not null && index < block.First)
            {
                RandomAccess.Write(_handle, entry, _start + (index * _entrySize));
                MarkDirty(_start + (index * _entrySize), _start + ((index + 1) * _entrySize));
                return;
            }

            if (block is not null)
            {
                PersistLocked(block);
                _nextBlockEntries = block.Count == block.Capacity ? Math.Min(_maxBlockEntries, block.Capacity * 2) : block.Capacity;
            }

            // A block that will take seconds to fill (a queue with a few messages a second, e.g. one of 1,000) outlives
            // gen0 and gen1 collections, which would copy it each time: it goes to the pinned heap, which collections
            // never copy. A busy queue's block, filled in milliseconds, dies young in gen0 at no cost.
            var now = Environment.TickCount64;
            var longLived = block is null || now - block.Created > LongLivedBlockMilliseconds;
            var next = new Block(index, (int)Math.Min(_nextBlockEntries, _capacity - index), _entrySize, longLived, now);
            entry.CopyTo(next.Bytes);
            next.Count = 1;

            // Published after the previous block is in the file: a reader that sees this block finds older entries there.
            Volatile.Write(ref _block, next);
        }
    }

    private void PersistLocked(Block block)
    {
        var count = Volatile.Read(ref block.Count);
        if (count <= block.Persisted)
        {
            return;
        }

        var from = block.Persisted * _entrySize;
        var position = _start + (block.First * _entrySize) + from;
        RandomAccess.Write(_handle, block.Bytes.AsSpan(from, (count * _entrySize) - from), position);
        block.Persisted = count;
        MarkDirty(position, position + (count * _entrySize) - from);
    }

    /// <summary>Under <see cref="_lock"/>: the range needs a write-back and the region a sync.</summary>
    private void MarkDirty(long from, long to)
    {
        _dirtyFrom = Math.Min(_dirtyFrom, from);
        _dirtyTo = Math.Max(_dirtyTo, to);
        Volatile.Write(ref _unsynced, 1);
    }

    /// <summary><c>pread</c> until <paramref name="destination"/> is full; bytes past the end of the file read as zeros (never written).</summary>
    public static void ReadAt(SafeFileHandle handle, Span<byte> destination, long position)
    {
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(handle, destination, position);
            if (read == 0)
            {
                destination.Clear();
                return;
            }

            destination = destination[read..];
            position += read;
        }
    }

    private void ReadFile(long index, Span<byte> destination) => ReadAt(_handle, destination, _start + (index * _entrySize));

    private sealed class Block(long first, int capacity, int entrySize, bool pinned, long created)
    {
        public readonly long First = first;
        public readonly int Capacity = capacity;
        public readonly byte[] Bytes = GC.AllocateArray<byte>(capacity * entrySize, pinned);

        /// <summary><see cref="Environment.TickCount64"/> when the block was made.</summary>
        public readonly long Created = created;

        /// <summary>Entries written; the writer publishes each with a volatile write after its bytes.</summary>
        public int Count;

        /// <summary>Entries already in the file (under the region's lock).</summary>
        public int Persisted;
    }
}
