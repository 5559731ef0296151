using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.Index;

/// <summary>
/// A persistent hash index from key hash to log offsets (RocketMQ IndexFile design): a header, a slot table and
/// chained entries, all in one sparse file named <c>index/{20-digit first log offset}</c>.
/// </summary>
/// <remarks>
/// Layout (little-endian):
/// <code>
/// Header, 64 bytes
///  #  offset  size  field
///  1       0     4  Magic           "OMI" + version 0x01 (uint32 0x01494D4F)
///  2       4     4  SlotCount       int32
///  3       8     4  EntryCapacity   int32
///  4      12     4  EntryCount      int32  entries used (1-based entry numbers run 1..EntryCount)
///  5      16     8  BeginTimestamp  int64  store time of the first entry, Unix ms
///  6      24     8  EndTimestamp    int64  store time of the last entry
///  7      32     8  BeginLogOffset  int64  log offset of the first entry
///  8      40     8  EndLogOffset    int64  log offset of the last entry
///  9      48    16  Reserved
/// Slots: SlotCount × int32, the entry number of the newest entry whose hash maps to the slot (0 = none)
/// Entries: EntryCapacity × 20 bytes
///  1       0     4  KeyHash         int32
///  2       4     8  LogOffset       int64
///  3      12     4  TimeDelta       int32  seconds since BeginTimestamp
///  4      16     4  Previous        int32  entry number of the previous entry in the chain (0 = none)
/// </code>
/// <para>While the file is written, its header and slot table live in memory and the newest entries in an
/// <see cref="EntryRegion"/> block; <see cref="Flush"/> writes them with a few <c>pwrite</c>s and one fdatasync. The
/// slots it writes are those of the entry count it writes (a slot changed after that count was read is followed
/// back along its chain), so a flushed file is consistent as of one entry count. Once full and flushed, the file is
/// read from disk only. No writable mapping: see <see cref="EntryRegion"/> for what page faults and msync cost.</para>
/// <para>Hashes collide, entries may be stale after recovery, and chains may hold duplicates: every hit is verified
/// against the record itself by the caller. Written by one thread; queried and flushed concurrently under a hold.</para>
/// </remarks>
internal sealed unsafe class IndexFile : FileResource
{
    public const int HeaderSize = 64;
    public const int EntrySize = 20;
    public const uint Magic = 0x01494D4F;

    /// <summary>Largest write-back block of entries (one index is written at a time, so memory is not the constraint).</summary>
    private const int MaxBlockBytes = 64 * 1024;

    /// <summary>Slots per flush write (64 KiB) and per dirty bit.</summary>
    private const int SlotChunk = 16 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly EntryRegion _entries;
    private int[]? _slots; // Pinned (its address is prefetched); loaded on the first put, dropped once full and flushed.
    private readonly ulong[] _dirtyChunks; // A bit per SlotChunk slots changed since the last flush.
    private int _count;
    private long _beginTimestamp;
    private long _endTimestamp;
    private long _beginLogOffset;
    private long _endLogOffset;
    private int _dirty;
    private bool _created;

    public IndexFile(string path, long firstLogOffset, int slotCount, int entryCapacity)
        : base(path)
    {
        FirstLogOffset = firstLogOffset;
        _handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            var length = RandomAccess.GetLength(_handle);
            Span<byte> header = stackalloc byte[HeaderSize];
            header.Clear();
            if (length >= HeaderSize)
            {
                EntryRegion.ReadAt(_handle, header, 0);
            }

            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic)
            {
                // New, or torn at creation (a header never written): start empty.
                header.Clear();
                BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
                BinaryPrimitives.WriteInt32LittleEndian(header[4..], slotCount);
                BinaryPrimitives.WriteInt32LittleEndian(header[8..], entryCapacity);
                length = Math.Max(length, FileSize(slotCount, entryCapacity));
                RandomAccess.SetLength(_handle, length);
                RandomAccess.Write(_handle, header, 0);
                _dirty = 1;
                _created = true;
            }

            SlotCount = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
            EntryCapacity = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
            if (SlotCount <= 0 || EntryCapacity <= 0 || FileSize(SlotCount, EntryCapacity) > length)
            {
                throw new InvalidDataException($"Index file '{path}' has an invalid header (slots {SlotCount}, entries {EntryCapacity}, {length} bytes).");
            }

            _count = Math.Clamp(BinaryPrimitives.ReadInt32LittleEndian(header[12..]), 0, EntryCapacity);
            _beginTimestamp = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
            _endTimestamp = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
            _beginLogOffset = BinaryPrimitives.ReadInt64LittleEndian(header[32..]);
            _endLogOffset = BinaryPrimitives.ReadInt64LittleEndian(header[40..]);
            _entries = new EntryRegion(_handle, HeaderSize + ((long)SlotCount * 4), EntrySize, EntryCapacity, MaxBlockBytes);
            _dirtyChunks = new ulong[(((SlotCount + SlotChunk - 1) / SlotChunk) + 63) / 64];
        }
        catch
        {
            _handle.Dispose();
            throw;
        }
    }

    public long FirstLogOffset { get; }

    public int SlotCount { get; }

    public int EntryCapacity { get; }

    /// <summary>File size in bytes.</summary>
    public long Capacity => FileSize(SlotCount, EntryCapacity);

    public int EntryCount => Volatile.Read(ref _count);

    public bool IsFull => EntryCount >= EntryCapacity;

    public long BeginTimestamp => Volatile.Read(ref _beginTimestamp);

    public long EndTimestamp => Volatile.Read(ref _endTimestamp);

    public long EndLogOffset => Volatile.Read(ref _endLogOffset);

    /// <summary>Prefetches the hash slot <see cref="Put"/> will read and write for <paramref name="keyHash"/> (writer).</summary>
    public void PrefetchSlot(int keyHash)
    {
        var slots = _slots;
        if (slots is not null && System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(Unsafe.AsPointer(ref slots[SlotIndex(keyHash)]));
        }
    }

    /// <summary>Adds an entry; false when the file is full (single writer).</summary>
    public bool Put(int keyHash, long logOffset, long storeTimestamp)
    {
        var count = _count;
        if (count >= EntryCapacity)
        {
            return false;
        }

        var slots = _slots ?? LoadSlots();
        if (count == 0)
        {
            Volatile.Write(ref _beginTimestamp, storeTimestamp);
            Volatile.Write(ref _beginLogOffset, logOffset);
        }

        ref var slot = ref slots[SlotIndex(keyHash)];
        var number = count + 1;
        Span<byte> entry = stackalloc byte[EntrySize];
        BinaryPrimitives.WriteInt32LittleEndian(entry, keyHash);
        BinaryPrimitives.WriteInt64LittleEndian(entry[4..], logOffset);
        var delta = (storeTimestamp - _beginTimestamp) / 1000;
        BinaryPrimitives.WriteInt32LittleEndian(entry[12..], (int)Math.Clamp(delta, 0, int.MaxValue));
        BinaryPrimitives.WriteInt32LittleEndian(entry[16..], slot);
        _entries.Write(count, entry);

        // The entry is stored before the slot and the count name it, so a reader never follows a number to nothing.
        // The dirty bit after the slot: a flush that takes the bit before this store sees the bit again next time.
        Volatile.Write(ref slot, number);
        var chunk = SlotIndex(keyHash) / SlotChunk;
        _dirtyChunks[chunk >> 6] |= 1UL << chunk;
        Volatile.Write(ref _endTimestamp, storeTimestamp);
        Volatile.Write(ref _endLogOffset, logOffset);
        Volatile.Write(ref _count, number);
        _dirty = 1;
        return true;
    }

    /// <summary>Adds the log offsets of entries with <paramref name="keyHash"/> stored in [begin, end] (second precision, widened by 1 s). The caller holds the file.</summary>
    public void Find(int keyHash, long beginTimestamp, long endTimestamp, List<long> logOffsets, int max)
    {
        var count = EntryCount;
        var begin = BeginTimestamp;
        var number = ReadSlot(SlotIndex(keyHash));
        Span<byte> entry = stackalloc byte[EntrySize];
        while (number > 0 && number <= count && logOffsets.Count < max)
        {
            _entries.Read(number - 1, entry);
            if (BinaryPrimitives.ReadInt32LittleEndian(entry) == keyHash)
            {
                var time = begin + (BinaryPrimitives.ReadInt32LittleEndian(entry[12..]) * 1000L);
                if (time + 1000 >= beginTimestamp && time - 1000 <= endTimestamp)
                {
                    logOffsets.Add(BinaryPrimitives.ReadInt64LittleEndian(entry[4..]));
                }
            }

            var previous = BinaryPrimitives.ReadInt32LittleEndian(entry[16..]);
            if (previous >= number)
            {
                break; // Chains only point backwards; anything else is a torn entry from a crash.
            }

            number = previous;
        }
    }

    /// <summary>
    /// Writes the slot table, the entries and the header as of one entry count, then fdatasyncs (the checkpoint).
    /// Safe beside the writer.
    /// </summary>
    /// <exception cref="IOException">A write or the sync failed; the next flush writes everything again.</exception>
    /// <param name="paced">Write the slots and entries back chunk by chunk before the sync (the checkpoint thread; see <see cref="NativeMethods.WriteBackPaced"/>).</param>
    public void Flush(bool paced = false)
    {
        if (!TryAcquire())
        {
            return;
        }

        var dirty = Interlocked.Exchange(ref _dirty, 0) != 0;
        try
        {
            if (dirty)
            {
                var count = Volatile.Read(ref _count);
                var slots = Volatile.Read(ref _slots);
                if (slots is not null)
                {
                    WriteSlots(slots, count);
                    if (paced)
                    {
                        NativeMethods.WriteBackPaced(_handle, 0, SlotPosition(SlotCount));
                    }
                }

                _entries.Persist();
                WriteHeader(count);
                _entries.MarkUnsynced();
                if (count >= EntryCapacity && slots is not null)
                {
                    // Full and about to be durable: no more puts, so queries can read the slots from the file.
                    Volatile.Write(ref _slots, null);
                }
            }
            else
            {
                _entries.Persist();
            }

            _entries.WriteBack(paced);
            _entries.Sync();
        }
        catch
        {
            if (dirty)
            {
                Volatile.Write(ref _dirty, 1);
            }

            throw;
        }
        finally
        {
            Release();
        }
    }

    protected override void CloseFile() => _handle.Dispose();

    private static long FileSize(int slotCount, int entryCapacity) => HeaderSize + ((long)slotCount * 4) + ((long)entryCapacity * EntrySize);

    private int SlotIndex(int keyHash) => (int)((uint)keyHash % (uint)SlotCount);

    private long SlotPosition(int index) => HeaderSize + ((long)index * 4);

    /// <summary>Writer thread, first put since open: the slot table into memory.</summary>
    private int[] LoadSlots()
    {
        var slots = GC.AllocateArray<int>(SlotCount, pinned: true);
        if (!_created)
        {
            EntryRegion.ReadAt(_handle, MemoryMarshal.AsBytes(slots.AsSpan()), SlotPosition(0));
            if (!BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.ReverseEndianness(slots, slots);
            }
        }

        Volatile.Write(ref _slots, slots);
        return slots;
    }

    private int ReadSlot(int index)
    {
        var slots = Volatile.Read(ref _slots);
        if (slots is not null)
        {
            return Volatile.Read(ref slots[index]);
        }

        Span<byte> slot = stackalloc byte[4];
        EntryRegion.ReadAt(_handle, slot, SlotPosition(index));
        return BinaryPrimitives.ReadInt32LittleEndian(slot);
    }

    /// <summary>
    /// Writes the changed slot chunks as they were at <paramref name="count"/> entries: newer numbers are followed back
    /// along their chain.
    /// </summary>
    private void WriteSlots(int[] slots, int count)
    {
        var buffer = ArrayPool<int>.Shared.Rent(SlotChunk);
        try
        {
            Span<byte> entry = stackalloc byte[EntrySize];
            for (var word = 0; word < _dirtyChunks.Length; word++)
            {
                var bits = Interlocked.Exchange(ref _dirtyChunks[word], 0);
                try
                {
                    for (; bits != 0; bits &= bits - 1)
                    {
                        var start = ((word * 64) + BitOperations.TrailingZeroCount(bits)) * SlotChunk;
                        var chunk = buffer.AsSpan(0, Math.Min(SlotChunk, SlotCount - start));
                        slots.AsSpan(start, chunk.Length).CopyTo(chunk);
                        for (var i = 0; i < chunk.Length; i++)
                        {
                            var number = chunk[i];
                            while (number > count)
                            {
                                _entries.Read(number - 1, entry);
                                number = BinaryPrimitives.ReadInt32LittleEndian(entry[16..]);
                            }

                            chunk[i] = BitConverter.IsLittleEndian ? number : BinaryPrimitives.ReverseEndianness(number);
                        }

                        RandomAccess.Write(_handle, MemoryMarshal.AsBytes(chunk), SlotPosition(start));
                    }
                }
                catch
                {
                    Interlocked.Or(ref _dirtyChunks[word], bits);
                    throw;
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
    }

    private void WriteHeader(int count)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        header.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], SlotCount);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], EntryCapacity);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], count);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], BeginTimestamp);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], EndTimestamp);
        BinaryPrimitives.WriteInt64LittleEndian(header[32..], Volatile.Read(ref _beginLogOffset));
        BinaryPrimitives.WriteInt64LittleEndian(header[40..], EndLogOffset);
        RandomAccess.Write(_handle, header, 0);
    }
}
