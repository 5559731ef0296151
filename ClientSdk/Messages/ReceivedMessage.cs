using OrleansMq.Grains.Messages;
using OrleansMq.Storage.Codec;
using Names = OrleansMq.Grains.Messages.PropertyNames;

namespace OrleansMq.Client.Messages;

/// <summary>A message read from a broker (RocketMQ MessageExt).</summary>
/// <remarks>
/// <see cref="Body"/> and the encoded properties are slices of the buffer the broker sent; they stay valid as long as
/// the message is referenced. Properties are decoded on first access.
/// </remarks>
public sealed class ReceivedMessage
{
    private readonly ReadOnlyMemory<byte> _properties;
    private IReadOnlyDictionary<string, string>? _decoded;
    private string? _messageId;

    internal ReceivedMessage(
        string topic, string broker, int queueId, long queueOffset, long storeId, long logOffset,
        long bornTimestamp, long storeTimestamp, MessageFlags flags, ReadOnlyMemory<byte> properties, ReadOnlyMemory<byte> body)
    {
        StoredTopic = topic;

        // A retry copy is presented under the topic it was first sent to, as RocketMQ does.
        Topic = topic.StartsWith(Grains.Naming.SystemTopics.RetryPrefix, StringComparison.Ordinal)
            && MessageProperties.GetString(properties.Span, Names.RetryTopic) is { } original ? original : topic;
        Broker = broker;
        QueueId = queueId;
        QueueOffset = queueOffset;
        StoreId = storeId;
        LogOffset = logOffset;
        BornTimestamp = bornTimestamp;
        StoreTimestamp = storeTimestamp;
        Flags = flags;
        _properties = properties;
        Body = body;
    }

    /// <summary>The message's topic; for a retry copy, the topic it was first sent to.</summary>
    public string Topic { get; }

    /// <summary>The topic the message is stored in (<c>%RETRY%group</c> for a retry copy, <c>%DLQ%group</c> in a dead-letter queue).</summary>
    public string StoredTopic { get; }

    /// <summary>Broker that stored it.</summary>
    public string Broker { get; }

    /// <summary>Queue id.</summary>
    public int QueueId { get; }

    /// <summary>Offset in the queue.</summary>
    public long QueueOffset { get; }

    /// <summary>Store id of the broker.</summary>
    public long StoreId { get; }

    /// <summary>Commit log offset.</summary>
    public long LogOffset { get; }

    /// <summary>Producer-side creation time, Unix ms.</summary>
    public long BornTimestamp { get; }

    /// <summary>Broker store time, Unix ms.</summary>
    public long StoreTimestamp { get; }

    /// <summary>Flags.</summary>
    public MessageFlags Flags { get; }

    /// <summary>Body.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The queue it came from.</summary>
    public MessageQueue Queue => new(StoredTopic, Broker, QueueId);

    /// <summary>For retry and dead-letter copies: the id of the message first sent; else null.</summary>
    public string? OriginMessageId => GetProperty(Names.OriginMessageId);

    /// <summary>Broker-assigned message id.</summary>
    public string MessageId => _messageId ??= new MessageId(StoreId, LogOffset).ToString();

    /// <summary>Client-generated unique key, or null.</summary>
    public string? UniqueKey => GetProperty(Names.UniqueKey);

    /// <summary>Tag, or null.</summary>
    public string? Tag => GetProperty(Names.Tags);

    /// <summary>Business keys.</summary>
    public IReadOnlyList<string> Keys =>
        GetProperty(Names.Keys) is { Length: > 0 } keys ? keys.Split(Storage.Codec.MessagePropertyNames.KeySeparator, StringSplitOptions.RemoveEmptyEntries) : [];

    /// <summary>Every property, reserved ones included (e.g. <c>TAGS</c>, <c>UNIQ_KEY</c>).</summary>
    public IReadOnlyDictionary<string, string> AllProperties => _decoded ??= MessageProperties.Decode(_properties.Span);

    /// <summary>The user properties (reserved names excluded).</summary>
    public IReadOnlyDictionary<string, string> Properties
    {
        get
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in AllProperties)
            {
                if (!Names.IsReserved(name))
                {
                    result[name] = value;
                }
            }

            return result;
        }
    }

    /// <summary>Times the message was consumed again after failures.</summary>
    public int ReconsumeTimes => int.TryParse(GetProperty(Names.ReconsumeTimes), out var n) ? n : 0;

    /// <summary>A property by name, reserved or not; null when absent.</summary>
    public string? GetProperty(string name) => AllProperties.TryGetValue(name, out var value) ? value : null;

    /// <summary>The body as UTF-8 text.</summary>
    public string BodyAsString() => System.Text.Encoding.UTF8.GetString(Body.Span);

    internal static ReceivedMessage FromData(StoredMessageData m) => new(
        m.Topic, m.Broker, m.QueueId, m.QueueOffset, m.StoreId, m.LogOffset, m.BornTimestamp, m.StoreTimestamp, (MessageFlags)m.Flags, m.Properties, m.Body);

    /// <summary>Decodes every record of a pull response (each parsed and checksummed once).</summary>
    internal static List<ReceivedMessage> Decode(ReadOnlyMemory<byte> records, int count, long storeId, string broker)
    {
        var result = new List<ReceivedMessage>(count);
        var span = records.Span;
        var position = 0;
        string? topic = null;
        var topicBytes = ReadOnlySpan<byte>.Empty;
        while (position < span.Length)
        {
            if (!StoredRecord.TryParse(span[position..], out var record))
            {
                throw new InvalidDataException($"Broker '{broker}' returned a truncated record at byte {position} of {records.Length}.");
            }

            // A pull reads one queue, so the records normally share one topic: its name is decoded once per pull.
            if (topic is null || !record.Topic.SequenceEqual(topicBytes))
            {
                topic = System.Text.Encoding.UTF8.GetString(record.Topic);
                topicBytes = record.Topic;
            }

            result.Add(new ReceivedMessage(
                topic, broker, record.QueueId, record.QueueOffset, storeId, record.LogOffset, record.BornTimestamp, record.StoreTimestamp, record.Flags,
                records.Slice(position + record.PropertiesOffset, record.Properties.Length),
                records.Slice(position + record.BodyOffset, record.Body.Length)));
            position += record.TotalSize;
        }

        return result;
    }
}
