using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Messages;

/// <summary>One stored message as found by a query (by id, key or unique key), with where it lives.</summary>
[GenerateSerializer, Immutable, Alias("OrleansMq.StoredMessageData")]
public sealed record StoredMessageData
{
    /// <summary>Broker holding the message.</summary>
    [Id(0)] public required string Broker { get; init; }

    /// <summary>That broker's store id.</summary>
    [Id(1)] public required long StoreId { get; init; }

    /// <summary>Commit log offset.</summary>
    [Id(2)] public required long LogOffset { get; init; }

    /// <summary>Topic.</summary>
    [Id(3)] public required string Topic { get; init; }

    /// <summary>Queue id.</summary>
    [Id(4)] public required int QueueId { get; init; }

    /// <summary>Offset in the queue.</summary>
    [Id(5)] public required long QueueOffset { get; init; }

    /// <summary>Producer-side creation time, Unix ms.</summary>
    [Id(6)] public required long BornTimestamp { get; init; }

    /// <summary>Broker store time, Unix ms.</summary>
    [Id(7)] public required long StoreTimestamp { get; init; }

    /// <summary>Message flags.</summary>
    [Id(8)] public required int Flags { get; init; }

    /// <summary>Encoded properties.</summary>
    [Id(9)] public required ReadOnlyMemory<byte> Properties { get; init; }

    /// <summary>Body.</summary>
    [Id(10)] public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>Copies a store message (broker side).</summary>
    public static StoredMessageData From(StoredMessage message, string broker) => new()
    {
        Broker = broker,
        StoreId = message.MessageId.StoreId,
        LogOffset = message.LogOffset,
        Topic = message.Topic,
        QueueId = message.QueueId,
        QueueOffset = message.QueueOffset,
        BornTimestamp = message.BornTimestamp,
        StoreTimestamp = message.StoreTimestamp,
        Flags = (int)message.Flags,
        Properties = message.Properties,
        Body = message.Body,
    };
}
