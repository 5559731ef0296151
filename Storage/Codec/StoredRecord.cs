using System.Buffers.Binary;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.Codec;

/// <summary>
/// A view over one commit log record (the on-disk bytes, also what pulls return). Spans point into the source buffer.
/// </summary>
/// <remarks>Layout: <see cref="RecordLayout"/> and <c>docs/storage-format.md</c>.</remarks>
public readonly ref struct StoredRecord
{
    /// <summary>Total record size in bytes, header included.</summary>
    public int TotalSize { get; init; }

    /// <summary>Physical offset of the record in the commit log.</summary>
    public long LogOffset { get; init; }

    /// <summary>Queue id.</summary>
    public int QueueId { get; init; }

    /// <summary>Logical offset in its queue.</summary>
    public long QueueOffset { get; init; }

    /// <summary>Producer-side creation time, Unix milliseconds.</summary>
    public long BornTimestamp { get; init; }

    /// <summary>Broker-side store time, Unix milliseconds.</summary>
    public long StoreTimestamp { get; init; }

    /// <summary>Message flags.</summary>
    public MessageFlags Flags { get; init; }

    /// <summary>Topic name, UTF-8.</summary>
    public ReadOnlySpan<byte> Topic { get; init; }

    /// <summary>Encoded properties.</summary>
    public ReadOnlySpan<byte> Properties { get; init; }

    /// <summary>Body.</summary>
    public ReadOnlySpan<byte> Body { get; init; }

    /// <summary>Where <see cref="Properties"/> start, counted from the record's first byte.</summary>
    public int PropertiesOffset => RecordLayout.HeaderSize + Topic.Length;

    /// <summary>Where <see cref="Body"/> starts, counted from the record's first byte.</summary>
    public int BodyOffset => PropertiesOffset + Properties.Length;

    /// <summary>
    /// Parses the record at the start of <paramref name="buffer"/>, verifying the checksum.
    /// Returns false when the buffer holds less than a whole record; throws on a corrupt one.
    /// </summary>
    /// <exception cref="InvalidDataException">Bad magic, length or checksum.</exception>
    public static bool TryParse(ReadOnlySpan<byte> buffer, out StoredRecord record)
    {
        record = default;
        if (buffer.Length < RecordLayout.HeaderSize)
        {
            return false;
        }

        var reason = RecordLayout.CheckHeader(buffer, out var totalSize);
        if (reason is not null)
        {
            ThrowHelper.ThrowInvalidData($"Invalid stored record: {reason} (total size {totalSize}).");
        }

        if (totalSize > buffer.Length)
        {
            return false;
        }

        var span = buffer[..totalSize];
        if (BinaryPrimitives.ReadUInt32LittleEndian(span[RecordLayout.CrcOffset..]) != RecordLayout.ComputeRecordCrc(span))
        {
            ThrowHelper.ThrowInvalidData($"Invalid stored record at log offset {RecordLayout.ReadLogOffset(span)}: checksum mismatch.");
        }

        record = Create(span);
        return true;
    }

    /// <summary>Builds the view over a record already known to be whole and valid.</summary>
    internal static StoredRecord Create(ReadOnlySpan<byte> span)
    {
        var topicLength = BinaryPrimitives.ReadUInt16LittleEndian(span[RecordLayout.TopicLengthOffset..]);
        var propertiesLength = BinaryPrimitives.ReadInt32LittleEndian(span[RecordLayout.PropertiesLengthOffset..]);
        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(span[RecordLayout.BodyLengthOffset..]);
        return new StoredRecord
        {
            TotalSize = span.Length,
            LogOffset = RecordLayout.ReadLogOffset(span),
            QueueId = RecordLayout.ReadQueueId(span),
            QueueOffset = RecordLayout.ReadQueueOffset(span),
            BornTimestamp = BinaryPrimitives.ReadInt64LittleEndian(span[RecordLayout.BornTimestampOffset..]),
            StoreTimestamp = RecordLayout.ReadStoreTimestamp(span),
            Flags = (MessageFlags)BinaryPrimitives.ReadInt32LittleEndian(span[RecordLayout.FlagsOffset..]),
            Topic = span.Slice(RecordLayout.HeaderSize, topicLength),
            Properties = span.Slice(RecordLayout.HeaderSize + topicLength, propertiesLength),
            Body = span.Slice(RecordLayout.HeaderSize + topicLength + propertiesLength, bodyLength),
        };
    }
}
