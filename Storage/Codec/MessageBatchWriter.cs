using System.Buffers;
using System.Buffers.Binary;

namespace OrleansMq.Storage.Codec;

/// <summary>
/// Encodes messages into the batch format that producers send and <see cref="MessageStore.AppendAsync"/> accepts.
/// </summary>
/// <remarks>
/// A batch is a sequence of entries, each self-delimiting (layout in <c>docs/storage-format.md</c>), little-endian:
/// <code>
///  #  offset  size  field
///  1       0     4  EntrySize        int32  24 + P + B
///  2       4     8  BornTimestamp    int64  Unix ms
///  3      12     4  Flags            int32  MessageFlags
///  4      16     4  PropertiesLength int32  P
///  5      20     4  BodyLength       int32  B
///  6      24     P  Properties       MessageProperties encoding
///  7    24+P     B  Body
/// </code>
/// The writer only appends to the caller's <see cref="IBufferWriter{T}"/>; it keeps no reference to it.
/// Not thread-safe: one writer per batch being built.
/// </remarks>
public static class MessageBatchWriter
{
    /// <summary>Size of the fixed part of an entry.</summary>
    public const int EntryHeaderSize = 24;

    /// <summary>Appends one message entry to <paramref name="output"/> and returns the number of bytes written.</summary>
    /// <param name="output">Destination; the caller owns it.</param>
    /// <param name="bornTimestamp">Producer-side creation time, Unix milliseconds.</param>
    /// <param name="flags">Message flags (<see cref="MessageFlags"/>).</param>
    /// <param name="properties">Properties encoded by <see cref="MessageProperties"/>.</param>
    /// <param name="body">Message body.</param>
    public static int Write(IBufferWriter<byte> output, long bornTimestamp, MessageFlags flags, ReadOnlySpan<byte> properties, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(output);
        var size = (long)EntryHeaderSize + properties.Length + body.Length;
        if (size > int.MaxValue)
        {
            throw new ArgumentException($"A batch entry of {size} bytes does not fit the batch format (max {int.MaxValue}).", nameof(body));
        }

        var span = output.GetSpan((int)size);
        BinaryPrimitives.WriteInt32LittleEndian(span, (int)size);
        BinaryPrimitives.WriteInt64LittleEndian(span[4..], bornTimestamp);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], (int)flags);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], properties.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], body.Length);
        properties.CopyTo(span[EntryHeaderSize..]);
        body.CopyTo(span[(EntryHeaderSize + properties.Length)..]);
        output.Advance((int)size);
        return (int)size;
    }
}
