using System.Buffers.Binary;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.Codec;

/// <summary>
/// Byte layout of a commit log record, version 1. All integers little-endian. Mirrored in <c>docs/storage-format.md</c>.
/// </summary>
/// <remarks>
/// <code>
///  #  offset  size  field
///  1       0     4  TotalSize        int32  whole record, header included: 64 + T + P + B
///  2       4     4  Magic            bytes "OMQ" + version 0x01 (uint32 0x01514D4F)
///  3       8     4  Crc32C           uint32 CRC-32C of bytes [0, 8) followed by [12, TotalSize)
///  4      12     4  Flags            int32  MessageFlags
///  5      16     8  LogOffset        int64  physical offset of this record (= its position in the log)
///  6      24     8  QueueOffset      int64  logical offset in (topic, queue)
///  7      32     8  BornTimestamp    int64  producer time, Unix ms
///  8      40     8  StoreTimestamp   int64  broker time, Unix ms (monotonic per store)
///  9      48     4  QueueId          int32  >= 0
/// 10      52     4  PropertiesLength int32  P, 0..MaxPropertiesSize
/// 11      56     4  BodyLength       int32  B, 1..MaxBodySize
/// 12      60     2  TopicLength      uint16 T, 1..255
/// 13      62     2  Reserved         uint16 0
/// 14      64     T  Topic            UTF-8
/// 15    64+T     P  Properties       MessageProperties encoding
/// 16  64+T+P     B  Body
/// </code>
/// End-of-segment filler (a record never spans segments; the writer closes a segment with this marker):
/// <code>
///  1       0     4  TotalSize        int32  bytes from here to the segment end (>= 12)
///  2       4     4  Magic            bytes "OMF" + version 0x01 (uint32 0x01464D4F)
///  3       8     4  Crc32C           uint32 CRC-32C of bytes [0, 8)
/// </code>
/// When fewer than 12 bytes are left in a segment no filler fits; readers treat such a remainder as the end.
/// The CRC covers the header (except itself) and the payload so that a torn write anywhere in the record,
/// including a stale length, is detected; LogOffset inside the checksum lets recovery tell a real record from
/// stale bytes that happen to look like one.
/// </remarks>
internal static class RecordLayout
{
    public const int HeaderSize = 64;
    public const int FillerSize = 12;
    public const uint RecordMagic = 0x01514D4F;
    public const uint FillerMagic = 0x01464D4F;
    public const int MaxTopicLength = 255;

    public const int TotalSizeOffset = 0;
    public const int MagicOffset = 4;
    public const int CrcOffset = 8;
    public const int FlagsOffset = 12;
    public const int LogOffsetOffset = 16;
    public const int QueueOffsetOffset = 24;
    public const int BornTimestampOffset = 32;
    public const int StoreTimestampOffset = 40;
    public const int QueueIdOffset = 48;
    public const int PropertiesLengthOffset = 52;
    public const int BodyLengthOffset = 56;
    public const int TopicLengthOffset = 60;

    /// <summary>Size of a record with these parts.</summary>
    public static int RecordSize(int topicLength, int propertiesLength, int bodyLength) => HeaderSize + topicLength + propertiesLength + bodyLength;

    /// <summary>Encodes a record into <paramref name="destination"/> (exactly <see cref="RecordSize"/> bytes).</summary>
    public static int Write(
        Span<byte> destination,
        ReadOnlySpan<byte> topic,
        int queueId,
        long queueOffset,
        long logOffset,
        long bornTimestamp,
        long storeTimestamp,
        MessageFlags flags,
        ReadOnlySpan<byte> properties,
        ReadOnlySpan<byte> body)
    {
        var size = RecordSize(topic.Length, properties.Length, body.Length);
        var d = destination[..size];
        BinaryPrimitives.WriteInt32LittleEndian(d, size);
        BinaryPrimitives.WriteUInt32LittleEndian(d[MagicOffset..], RecordMagic);
        BinaryPrimitives.WriteInt32LittleEndian(d[FlagsOffset..], (int)flags);
        BinaryPrimitives.WriteInt64LittleEndian(d[LogOffsetOffset..], logOffset);
        BinaryPrimitives.WriteInt64LittleEndian(d[QueueOffsetOffset..], queueOffset);
        BinaryPrimitives.WriteInt64LittleEndian(d[BornTimestampOffset..], bornTimestamp);
        BinaryPrimitives.WriteInt64LittleEndian(d[StoreTimestampOffset..], storeTimestamp);
        BinaryPrimitives.WriteInt32LittleEndian(d[QueueIdOffset..], queueId);
        BinaryPrimitives.WriteInt32LittleEndian(d[PropertiesLengthOffset..], properties.Length);
        BinaryPrimitives.WriteInt32LittleEndian(d[BodyLengthOffset..], body.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[TopicLengthOffset..], (ushort)topic.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[(TopicLengthOffset + 2)..], 0);
        topic.CopyTo(d[HeaderSize..]);
        properties.CopyTo(d[(HeaderSize + topic.Length)..]);
        body.CopyTo(d[(HeaderSize + topic.Length + properties.Length)..]);
        BinaryPrimitives.WriteUInt32LittleEndian(d[CrcOffset..], ComputeRecordCrc(d));
        return size;
    }

    /// <summary>Writes an end-of-segment filler header of <paramref name="totalSize"/> into <paramref name="destination"/>.</summary>
    public static void WriteFiller(Span<byte> destination, int totalSize)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, totalSize);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[MagicOffset..], FillerMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[CrcOffset..], Crc32C.Compute(destination[..CrcOffset]));
    }

    /// <summary>CRC of a whole record span (the CRC field itself excluded).</summary>
    public static uint ComputeRecordCrc(ReadOnlySpan<byte> record)
        => ~Crc32C.Append(Crc32C.Append(Crc32C.Seed, record[..CrcOffset]), record[FlagsOffset..]);

    /// <summary>True when <paramref name="header"/> (at least <see cref="FillerSize"/> bytes) is a filler with a good checksum.</summary>
    public static bool IsFiller(ReadOnlySpan<byte> header, out int totalSize)
    {
        totalSize = BinaryPrimitives.ReadInt32LittleEndian(header);
        return BinaryPrimitives.ReadUInt32LittleEndian(header[MagicOffset..]) == FillerMagic
            && totalSize >= FillerSize
            && BinaryPrimitives.ReadUInt32LittleEndian(header[CrcOffset..]) == Crc32C.Compute(header[..CrcOffset]);
    }

    /// <summary>
    /// Checks the fixed header's self-consistency (magic, lengths add up, ranges) without the checksum.
    /// Returns null when sane, else the reason.
    /// </summary>
    public static string? CheckHeader(ReadOnlySpan<byte> header, out int totalSize)
    {
        totalSize = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header[MagicOffset..]) != RecordMagic)
        {
            return "bad magic";
        }

        var topicLength = BinaryPrimitives.ReadUInt16LittleEndian(header[TopicLengthOffset..]);
        var propertiesLength = BinaryPrimitives.ReadInt32LittleEndian(header[PropertiesLengthOffset..]);
        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(header[BodyLengthOffset..]);
        if (topicLength is 0 or > MaxTopicLength || propertiesLength < 0 || bodyLength < 0
            || (long)HeaderSize + topicLength + propertiesLength + bodyLength != totalSize)
        {
            return "inconsistent lengths";
        }

        return BinaryPrimitives.ReadInt32LittleEndian(header[QueueIdOffset..]) < 0 ? "negative queue id" : null;
    }

    /// <summary>Reads a field of a header.</summary>
    public static long ReadLogOffset(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadInt64LittleEndian(header[LogOffsetOffset..]);

    /// <summary>Reads a field of a header.</summary>
    public static long ReadQueueOffset(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadInt64LittleEndian(header[QueueOffsetOffset..]);

    /// <summary>Reads a field of a header.</summary>
    public static long ReadStoreTimestamp(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadInt64LittleEndian(header[StoreTimestampOffset..]);

    /// <summary>Reads a field of a header.</summary>
    public static int ReadQueueId(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadInt32LittleEndian(header[QueueIdOffset..]);

    /// <summary>The topic bytes of a whole record.</summary>
    public static ReadOnlySpan<byte> Topic(ReadOnlySpan<byte> record)
        => record.Slice(HeaderSize, BinaryPrimitives.ReadUInt16LittleEndian(record[TopicLengthOffset..]));

    /// <summary>The properties bytes of a whole record.</summary>
    public static ReadOnlySpan<byte> Properties(ReadOnlySpan<byte> record)
        => record.Slice(
            HeaderSize + BinaryPrimitives.ReadUInt16LittleEndian(record[TopicLengthOffset..]),
            BinaryPrimitives.ReadInt32LittleEndian(record[PropertiesLengthOffset..]));

    /// <summary>
    /// Full validation of a whole record at log position <paramref name="expectedLogOffset"/>: sane header, size
    /// within the buffer, checksum and the stored log offset. Null when valid, else the reason.
    /// </summary>
    public static string? Validate(ReadOnlySpan<byte> buffer, long expectedLogOffset, out int totalSize)
    {
        if (buffer.Length < HeaderSize)
        {
            totalSize = 0;
            return "truncated header";
        }

        var reason = CheckHeader(buffer, out totalSize);
        if (reason is not null)
        {
            return reason;
        }

        if (totalSize > buffer.Length)
        {
            return "record runs past the end of the data";
        }

        var record = buffer[..totalSize];
        if (BinaryPrimitives.ReadUInt32LittleEndian(record[CrcOffset..]) != ComputeRecordCrc(record))
        {
            return "checksum mismatch";
        }

        return ReadLogOffset(record) != expectedLogOffset ? "stored log offset does not match its position" : null;
    }
}
