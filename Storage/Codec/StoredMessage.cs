using System.Text;

namespace OrleansMq.Storage.Codec;

/// <summary>
/// A decoded stored message whose properties and body are slices of a buffer it owns (no pooling: safe to keep).
/// </summary>
public sealed class StoredMessage
{
    /// <summary>Physical offset of the record in the commit log.</summary>
    public required long LogOffset { get; init; }

    /// <summary>Broker-assigned message id.</summary>
    public required MessageId MessageId { get; init; }

    /// <summary>Topic.</summary>
    public required string Topic { get; init; }

    /// <summary>Queue id.</summary>
    public required int QueueId { get; init; }

    /// <summary>Logical offset in its queue.</summary>
    public required long QueueOffset { get; init; }

    /// <summary>Producer-side creation time, Unix milliseconds.</summary>
    public required long BornTimestamp { get; init; }

    /// <summary>Broker-side store time, Unix milliseconds.</summary>
    public required long StoreTimestamp { get; init; }

    /// <summary>Message flags.</summary>
    public required MessageFlags Flags { get; init; }

    /// <summary>Encoded properties.</summary>
    public required ReadOnlyMemory<byte> Properties { get; init; }

    /// <summary>Body.</summary>
    public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>Record size in bytes.</summary>
    public required int StoredSize { get; init; }

    /// <summary>Decodes a record view, copying nothing when <paramref name="source"/> backs the view.</summary>
    /// <param name="source">Starts with one whole record; the returned message slices it, so the caller must not reuse it.</param>
    /// <param name="storeId">Id of the store the record came from (for <see cref="MessageId"/>).</param>
    /// <exception cref="InvalidDataException">The record is incomplete or corrupt.</exception>
    public static StoredMessage From(ReadOnlyMemory<byte> source, long storeId)
    {
        if (!StoredRecord.TryParse(source.Span, out var record))
        {
            throw new InvalidDataException($"The buffer ({source.Length} bytes) does not hold a whole stored record.");
        }

        return new StoredMessage
        {
            LogOffset = record.LogOffset,
            MessageId = new MessageId(storeId, record.LogOffset),
            Topic = Encoding.UTF8.GetString(record.Topic),
            QueueId = record.QueueId,
            QueueOffset = record.QueueOffset,
            BornTimestamp = record.BornTimestamp,
            StoreTimestamp = record.StoreTimestamp,
            Flags = record.Flags,
            Properties = source.Slice(record.PropertiesOffset, record.Properties.Length),
            Body = source.Slice(record.BodyOffset, record.Body.Length),
            StoredSize = record.TotalSize,
        };
    }
}
