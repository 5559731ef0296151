namespace OrleansMq.Storage.Codec;

/// <summary>
/// A view over one commit log record (the on-disk bytes, also what pulls return). Spans point into the source buffer.
/// </summary>
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

    /// <summary>
    /// Parses the record at the start of <paramref name="buffer"/>, verifying the checksum.
    /// Returns false when the buffer holds less than a whole record; throws on a corrupt one.
    /// </summary>
    /// <exception cref="InvalidDataException">Bad magic, length or checksum.</exception>
    public static bool TryParse(ReadOnlySpan<byte> buffer, out StoredRecord record) => throw new NotImplementedException();
}
