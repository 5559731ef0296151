using System.Buffers.Binary;

namespace OrleansMq.Storage.ConsumeQueue;

/// <summary>One consume queue entry: where a queue's message lives in the commit log (RocketMQ's 20-byte unit).</summary>
/// <remarks>
/// Layout (little-endian, persisted):
/// <code>
///  #  offset  size  field
///  1       0     8  LogOffset  int64  record position in the commit log
///  2       8     4  MessageSize int32 record size; 0 marks an empty (never written) slot
///  3      12     8  TagHash    int64  TagHash of the TAGS property, 0 when none
/// </code>
/// </remarks>
internal readonly record struct ConsumeQueueEntry(long LogOffset, int MessageSize, long TagHash)
{
    /// <summary>Bytes per entry.</summary>
    public const int Size = 20;

    /// <summary>Reads an entry from the first 20 bytes of <paramref name="source"/>.</summary>
    public ConsumeQueueEntry(ReadOnlySpan<byte> source)
        : this(
            BinaryPrimitives.ReadInt64LittleEndian(source),
            BinaryPrimitives.ReadInt32LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[12..]))
    {
    }

    /// <summary>True for a slot that was never written (or was erased).</summary>
    public bool IsEmpty => MessageSize == 0;

    /// <summary>Writes the 20 bytes to <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, LogOffset);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], MessageSize);
        BinaryPrimitives.WriteInt64LittleEndian(destination[12..], TagHash);
    }
}
