namespace OrleansMq.Grains.Messages;

/// <summary>
/// Property names reserved by OrleansMq (RocketMQ names where RocketMQ has one). Users set them through dedicated
/// API (tag, keys, delay) or not at all; a user property with one of these names is refused.
/// </summary>
public static class PropertyNames
{
    /// <summary>The message tag.</summary>
    public const string Tags = Storage.Codec.MessagePropertyNames.Tags;

    /// <summary>User keys, space-separated.</summary>
    public const string Keys = Storage.Codec.MessagePropertyNames.Keys;

    /// <summary>The client-generated unique key.</summary>
    public const string UniqueKey = Storage.Codec.MessagePropertyNames.UniqueKey;

    /// <summary>Producer group of the sender.</summary>
    public const string ProducerGroup = "PGROUP";

    /// <summary>Delay level (1..18).</summary>
    public const string DelayLevel = "DELAY";

    /// <summary>Absolute delivery time of a timer message, Unix ms.</summary>
    public const string DeliverTime = "TIMER_DELIVER_MS";

    /// <summary>Original topic of a message parked in a system topic.</summary>
    public const string RealTopic = "REAL_TOPIC";

    /// <summary>Original queue id of a message parked in a system topic.</summary>
    public const string RealQueueId = "REAL_QID";

    /// <summary>Times a message has been consumed again after failures.</summary>
    public const string ReconsumeTimes = "RECONSUME_TIME";

    /// <summary>Most reconsume attempts before the DLQ.</summary>
    public const string MaxReconsumeTimes = "MAX_RECONSUME_TIMES";

    /// <summary>Message id of the original message of a retry or DLQ copy.</summary>
    public const string OriginMessageId = "ORIGIN_MESSAGE_ID";

    /// <summary>Topic the retry or DLQ copy originally came from.</summary>
    public const string RetryTopic = "RETRY_TOPIC";

    /// <summary>Transaction half-message marker.</summary>
    public const string TransactionPrepared = "TRAN_MSG";

    /// <summary>Sharding key of an ordered message.</summary>
    public const string ShardingKey = "SHARDING_KEY";

    /// <summary>Kind of a timer control record (<c>done</c> or <c>cancel</c>).</summary>
    public const string TimerControl = "TIMER_CONTROL";

    /// <summary>Idempotent producer: the producer id and the message's sequence in its queue (<see cref="SequenceProperty"/>).</summary>
    public const string ProducerSequence = "PSEQ";

    /// <summary>Member id of the producer that prepared a transactional half message (broker bookkeeping).</summary>
    public const string TransactionProducer = "TRAN_PRODUCER";

    /// <summary>Scheduling-clock time a half message was prepared, Unix ms (broker bookkeeping).</summary>
    public const string TransactionPreparedAt = "TRAN_PREPARED_MS";

    /// <summary>Kind of a transaction op marker (<c>commit</c>, <c>rollback</c>, <c>discard</c>, <c>check</c>).</summary>
    public const string TransactionOp = "TRAN_OP";

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        Tags, Keys, UniqueKey, ProducerGroup, DelayLevel, DeliverTime, RealTopic, RealQueueId, ReconsumeTimes,
        MaxReconsumeTimes, OriginMessageId, RetryTopic, TransactionPrepared, ShardingKey, TimerControl,
        ProducerSequence, TransactionProducer, TransactionPreparedAt, TransactionOp,
    };

    /// <summary>True for names users may not set as plain properties.</summary>
    public static bool IsReserved(string name) => Reserved.Contains(name);

    /// <summary>Returns null when <paramref name="name"/> is a valid user property name, else what is wrong.</summary>
    public static string? ValidateUserName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "A property name is empty; names need 1 to 255 characters without control characters.";
        }

        if (name.Length > 255)
        {
            return $"Property name '{name[..32]}…' is {name.Length} characters long; at most 255 are allowed.";
        }

        foreach (var c in name)
        {
            if (char.IsControl(c))
            {
                return $"Property name '{name}' contains a control character (U+{(int)c:X4}); names may not contain control characters.";
            }
        }

        return IsReserved(name) ? $"Property name '{name}' is reserved by OrleansMq; use the dedicated API (tag, keys, delay) or another name." : null;
    }
}
