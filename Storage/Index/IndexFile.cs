using System.Buffers.Binary;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.Index;

/// <summary>
/// A persistent hash index from key hash to log offsets (RocketMQ IndexFile design): a header, a slot table and
/// chained entries, all in one sparse memory-mapped file named <c>index/{20-digit first log offset}</c>.
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
/// Hashes collide, entries may be stale after recovery, and chains may hold duplicates: every hit is verified
/// against the record itself by the caller. Written by one thread; queried concurrently under a hold.
/// </remarks>
internal sealed class IndexFile : MappedFile
{
    public const int HeaderSize = 64;
    public const int EntrySize = 20;
    public const uint Magic = 0x01494D4F;

    public IndexFile(string path, long firstLogOffset, int slotCount, int entryCapacity)
        : base(path, HeaderSize + ((long)slotCount * 4) + ((long)entryCapacity * EntrySize))
    {
        FirstLogOffset = firstLogOffset;
        var header = GetSpan(0, HeaderSize);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], slotCount);
            BinaryPrimitives.WriteInt32LittleEndian(header[8..], entryCapacity);
            MarkDirty();
        }

        SlotCount = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        EntryCapacity = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (SlotCount <= 0 || EntryCapacity <= 0 || HeaderSize + ((long)SlotCount * 4) + ((long)EntryCapacity * EntrySize) > Capacity)
        {
            throw new InvalidDataException($"Index file '{path}' has an invalid header (slots {SlotCount}, entries {EntryCapacity}).");
        }
    }

    public long FirstLogOffset { get; }

    public int SlotCount { get; }

    public int EntryCapacity { get; }

    public int EntryCount => Math.Clamp(BinaryPrimitives.ReadInt32LittleEndian(GetSpan(12, 4)), 0, EntryCapacity);

    public bool IsFull => EntryCount >= EntryCapacity;

    public long BeginTimestamp => BinaryPrimitives.ReadInt64LittleEndian(GetSpan(16, 8));

    public long EndTimestamp => BinaryPrimitives.ReadInt64LittleEndian(GetSpan(24, 8));

    public long EndLogOffset => BinaryPrimitives.ReadInt64LittleEndian(GetSpan(40, 8));

    /// <summary>Prefetches the hash slot <see cref="Put"/> will read and write for <paramref name="keyHash"/>.</summary>
    public void PrefetchSlot(int keyHash) => Prefetch(SlotPosition(keyHash));

    /// <summary>Adds an entry; false when the file is full.</summary>
    public bool Put(int keyHash, long logOffset, long storeTimestamp)
    {
        var header = GetSpan(0, HeaderSize);
        var count = EntryCount;
        if (count >= EntryCapacity)
        {
            return false;
        }

        if (count == 0)
        {
            BinaryPrimitives.WriteInt64LittleEndian(header[16..], storeTimestamp);
            BinaryPrimitives.WriteInt64LittleEndian(header[32..], logOffset);
        }

        var slot = GetSpan(SlotPosition(keyHash), 4);
        var number = count + 1;
        var entry = GetSpan(EntryPosition(number), EntrySize);
        BinaryPrimitives.WriteInt32LittleEndian(entry, keyHash);
        BinaryPrimitives.WriteInt64LittleEndian(entry[4..], logOffset);
        var delta = (storeTimestamp - BeginTimestamp) / 1000;
        BinaryPrimitives.WriteInt32LittleEndian(entry[12..], (int)Math.Clamp(delta, 0, int.MaxValue));
        BinaryPrimitives.WriteInt32LittleEndian(entry[16..], BinaryPrimitives.ReadInt32LittleEndian(slot));
        BinaryPrimitives.WriteInt32LittleEndian(slot, number);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], storeTimestamp);
        BinaryPrimitives.WriteInt64LittleEndian(header[40..], logOffset);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], number);
        MarkDirty();
        return true;
    }

    /// <summary>Adds the log offsets of entries with <paramref name="keyHash"/> stored in [begin, end] (second precision, widened by 1 s).</summary>
    public void Find(int keyHash, long beginTimestamp, long endTimestamp, List<long> logOffsets, int max)
    {
        var count = EntryCount;
        var begin = BeginTimestamp;
        var number = BinaryPrimitives.ReadInt32LittleEndian(GetSpan(SlotPosition(keyHash), 4));
        while (number > 0 && number <= count && logOffsets.Count < max)
        {
            var entry = GetSpan(EntryPosition(number), EntrySize);
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

    private long SlotPosition(int keyHash) => HeaderSize + ((long)((uint)keyHash % (uint)SlotCount) * 4);

    private long EntryPosition(int number) => HeaderSize + ((long)SlotCount * 4) + ((long)(number - 1) * EntrySize);
}
