using OrleansMq.Grains.Messages;

namespace OrleansMq.Client.Messages;

/// <summary>What the broker did with a sent message.</summary>
/// <remarks>
/// Equal when every property is equal. The message id and the unique key are formatted when first read: most senders
/// never read them, and formatting them for each of 100,000+ acknowledgements a second was a visible share of the
/// producer's CPU and garbage.
/// </remarks>
public sealed record SendResult
{
    private readonly Storage.Codec.MessageId _id;
    private readonly Producing.UniqueKeyGenerator.UniqueKey _key;
    private string? _messageId;
    private string? _uniqueKey;

    /// <summary>Creates a result.</summary>
    /// <param name="status"><see cref="SendStatus.Ok"/>, or <see cref="SendStatus.FlushDiskTimeout"/> when stored but not yet flushed in time.</param>
    /// <param name="messageId">Broker-assigned id (store id + log offset); look the message up by it.</param>
    /// <param name="uniqueKey">Client-generated unique key.</param>
    /// <param name="queue">The queue that stored it.</param>
    /// <param name="queueOffset">Its offset in that queue; -1 for a delay or timer message, which gets its offset when delivered.</param>
    public SendResult(SendStatus status, string messageId, string uniqueKey, MessageQueue queue, long queueOffset)
        : this(status, default(Storage.Codec.MessageId), default(Producing.UniqueKeyGenerator.UniqueKey), queue, queueOffset)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        ArgumentNullException.ThrowIfNull(uniqueKey);
        _messageId = messageId;
        _uniqueKey = uniqueKey;
    }

    internal SendResult(SendStatus status, Storage.Codec.MessageId id, Producing.UniqueKeyGenerator.UniqueKey key, MessageQueue queue, long queueOffset)
    {
        Status = status;
        _id = id;
        _key = key;
        Queue = queue;
        QueueOffset = queueOffset;
    }

    /// <summary><see cref="SendStatus.Ok"/>, or <see cref="SendStatus.FlushDiskTimeout"/> when stored but not yet flushed in time.</summary>
    public SendStatus Status { get; init; }

    /// <summary>Broker-assigned id (store id + log offset); look the message up by it.</summary>
    public string MessageId => _messageId ??= _id.ToString();

    /// <summary>Client-generated unique key.</summary>
    public string UniqueKey
    {
        get => _uniqueKey ??= _key.ToString();
        init => _uniqueKey = value;
    }

    /// <summary>The queue that stored it.</summary>
    public MessageQueue Queue { get; init; }

    /// <summary>Its offset in that queue; -1 for a delay or timer message, which gets its offset when delivered.</summary>
    public long QueueOffset { get; init; }

    /// <summary>Deconstructs into status, message id, unique key, queue and queue offset.</summary>
    public void Deconstruct(out SendStatus status, out string messageId, out string uniqueKey, out MessageQueue queue, out long queueOffset)
    {
        status = Status;
        messageId = MessageId;
        uniqueKey = UniqueKey;
        queue = Queue;
        queueOffset = QueueOffset;
    }

    /// <inheritdoc/>
    public bool Equals(SendResult? other) => other is not null
        && Status == other.Status
        && MessageId == other.MessageId
        && UniqueKey == other.UniqueKey
        && Queue == other.Queue
        && QueueOffset == other.QueueOffset;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Status, MessageId, UniqueKey, Queue, QueueOffset);
}
