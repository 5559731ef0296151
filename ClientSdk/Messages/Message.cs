namespace OrleansMq.Client.Messages;

/// <summary>A message to send.</summary>
/// <remarks>
/// The producer encodes the message when it is accepted and keeps only the encoding and <see cref="Body"/>; do not
/// change the body's memory until the send completes.
/// </remarks>
public sealed class Message
{
    // Created on first use: most messages have neither, and the empty collections were ~110 bytes of every send's garbage.
    private List<string>? _keys;
    private Dictionary<string, string>? _properties;

    /// <summary>Creates a message.</summary>
    public Message(string topic, ReadOnlyMemory<byte> body)
    {
        Topic = topic;
        Body = body;
    }

    /// <summary>Creates a message with a UTF-8 text body.</summary>
    public Message(string topic, string body)
        : this(topic, System.Text.Encoding.UTF8.GetBytes(body))
    {
    }

    /// <summary>Destination topic.</summary>
    public string Topic { get; set; }

    /// <summary>Body (1 byte up to the broker's maximum, 4 MiB by default).</summary>
    public ReadOnlyMemory<byte> Body { get; set; }

    /// <summary>Optional tag, filterable on the broker (<c>TagA || TagB</c>).</summary>
    public string? Tag { get; set; }

    /// <summary>Optional business keys, each indexed for lookup. May not contain spaces.</summary>
    public IList<string> Keys => _keys ??= new List<string>();

    /// <summary>
    /// RocketMQ delay level 1..18 (<c>1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h</c>); 0 for none.
    /// The message is stored at once and delivered to its queue when the delay has passed.
    /// </summary>
    public int DelayLevel { get; set; }

    /// <summary>
    /// Deliver at this time instead of at once (timer message; any time up to the broker's maximum delay, 30 days by
    /// default). Takes precedence over <see cref="DelayLevel"/>. The send result's message id cancels it.
    /// </summary>
    public DateTimeOffset? DeliverAt { get; set; }

    /// <summary>
    /// Ordered messages: messages with the same sharding key go to the same queue, in send order
    /// (RocketMQ's MessageQueueSelector by hash of the order id).
    /// </summary>
    public string? ShardingKey { get; set; }

    /// <summary>User properties (names not reserved; total encoded size up to 32 KiB).</summary>
    public IDictionary<string, string> Properties => _properties ??= new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary><see cref="Keys"/> if it was ever read, else null: the producer reads this so a message without keys never allocates the list.</summary>
    internal IList<string>? KeysOrNull => _keys;

    /// <summary><see cref="Properties"/> if it was ever read, else null (as <see cref="KeysOrNull"/>).</summary>
    internal IDictionary<string, string>? PropertiesOrNull => _properties;
}
