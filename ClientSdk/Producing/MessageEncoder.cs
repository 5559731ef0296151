using OrleansMq.Client.Messages;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Naming;
using OrleansMq.Storage.Codec;
using Names = OrleansMq.Grains.Messages.PropertyNames;

namespace OrleansMq.Client.Producing;

/// <summary>Validates a message and encodes its properties once, before it is queued for sending.</summary>
internal static class MessageEncoder
{
    // The last topic names that passed validation, replaced in turn. Producers send to few topics, mostly as one string
    // instance each, so a name's characters are checked once per instance instead of once per message (1.3% of producer
    // CPU in W1; W4 alternates between 10 topics, which one slot did not cover).
    private static readonly string?[] ValidTopics = new string?[16];
    private static int _nextValidTopic;

    [ThreadStatic]
    private static List<KeyValuePair<string, string>>? t_properties;

    /// <summary>Checks everything the broker would refuse, so bad input fails fast with a clear message and costs no round trip.</summary>
    /// <param name="message">The message.</param>
    /// <param name="options">Size limits and idempotence.</param>
    /// <param name="uniqueKey">
    /// The key to encode as the last property; null when the caller writes it itself when the message is sent
    /// (<see cref="UniqueKeyGenerator.UniqueKey.WriteProperty"/>: the producer, so that a message with no other property
    /// needs no array of its own). Its size counts against the limit either way.
    /// </param>
    /// <param name="systemProperties">Properties the SDK adds (transactions).</param>
    /// <exception cref="ArgumentException">What is wrong and what is allowed.</exception>
    public static byte[] Encode(Message message, ProducerOptions options, UniqueKeyGenerator.UniqueKey? uniqueKey, IEnumerable<KeyValuePair<string, string>>? systemProperties = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var topic = message.Topic;
        if (!IsKnownValid(topic))
        {
            NameValidator.ThrowIfInvalidTopic(topic, nameof(message));
            Volatile.Write(ref ValidTopics[Interlocked.Increment(ref _nextValidTopic) & (ValidTopics.Length - 1)], topic);
        }

        if (message.Body.IsEmpty)
        {
            throw new ArgumentException($"The message body for topic '{message.Topic}' is empty; bodies need 1 to {options.MaxBodySize} bytes.", nameof(message));
        }

        if (message.Body.Length > options.MaxBodySize)
        {
            throw new ArgumentException(
                $"The message body for topic '{message.Topic}' is {message.Body.Length} bytes; at most {options.MaxBodySize} bytes are allowed.", nameof(message));
        }

        // One list per thread, emptied after each message: a new list per send was ~110 bytes of its garbage.
        var properties = t_properties ??= new List<KeyValuePair<string, string>>(8);
        try
        {
            return Encode(message, options, uniqueKey, systemProperties, properties);
        }
        finally
        {
            properties.Clear();
            if (properties.Capacity > 64)
            {
                properties.Capacity = 8; // A message with many properties does not pin a large array to the thread.
            }
        }
    }

    private static byte[] Encode(Message message, ProducerOptions options, UniqueKeyGenerator.UniqueKey? uniqueKey, IEnumerable<KeyValuePair<string, string>>? systemProperties, List<KeyValuePair<string, string>> properties)
    {
        if (!string.IsNullOrEmpty(message.Tag))
        {
            if (message.Tag.Contains("||", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Tag '{message.Tag}' contains '||', which separates tags in filter expressions.", nameof(message));
            }

            properties.Add(new(Names.Tags, message.Tag));
        }

        if (message.KeysOrNull is { Count: > 0 } keys)
        {
            foreach (var key in keys)
            {
                if (string.IsNullOrEmpty(key) || key.Contains(Storage.Codec.MessagePropertyNames.KeySeparator, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Message key '{key}' is empty or contains a space; keys are non-empty and space-free.", nameof(message));
                }
            }

            properties.Add(new(Names.Keys, string.Join(Storage.Codec.MessagePropertyNames.KeySeparator, keys)));
        }

        if (message.PropertiesOrNull is { Count: > 0 } user)
        {
            foreach (var property in user)
            {
                if (Names.ValidateUserName(property.Key) is { } error)
                {
                    throw new ArgumentException(error, nameof(message));
                }

                properties.Add(property);
            }
        }

        if (systemProperties is not null)
        {
            properties.AddRange(systemProperties);
        }

        if (message.DeliverAt is { } deliverAt)
        {
            var latest = DateTimeOffset.UtcNow + options.MaxDelay;
            if (deliverAt > latest)
            {
                throw new ArgumentException(
                    $"Delivery time {deliverAt:O} for topic '{message.Topic}' is more than the maximum delay of {options.MaxDelay} ahead; deliver at {latest:O} at the latest.", nameof(message));
            }

            properties.Add(new(Names.DeliverTime, deliverAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        else if (message.DelayLevel != 0)
        {
            if (message.DelayLevel is < 1 or > DelayLevels.MaxLevel)
            {
                throw new ArgumentException($"Delay level {message.DelayLevel} does not exist; levels are 1 to {DelayLevels.MaxLevel} ({DelayLevels.Describe}), 0 for none.", nameof(message));
            }

            properties.Add(new(Names.DelayLevel, message.DelayLevel.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        // An idempotent producer adds its sequence property when the batch is written: keep room for it.
        var reserved = options.EnableIdempotence ? SequenceProperty.MaxEncodedSize : 0;
        var limit = options.MaxPropertiesSize - reserved;
        var size = EstimateSize(properties) + UniqueKeyGenerator.PropertySize;
        if (size > limit)
        {
            throw new ArgumentException(
                $"The properties of the message for topic '{message.Topic}' take {size} bytes encoded; at most {DescribeLimit(options, reserved)} bytes are allowed.", nameof(message));
        }

        var encoded = properties.Count == 0 ? [] : MessageProperties.Encode(properties);
        var total = encoded.Length + UniqueKeyGenerator.PropertySize;
        if (total > limit)
        {
            throw new ArgumentException(
                $"The properties of the message for topic '{message.Topic}' take {total} bytes encoded; at most {DescribeLimit(options, reserved)} bytes are allowed.", nameof(message));
        }

        if (uniqueKey is not { } unique)
        {
            return encoded;
        }

        // The caller writes its own batch (transactions): the key goes last into the properties here.
        var withKey = new byte[total];
        encoded.CopyTo(withKey, 0);
        unique.WriteProperty(withKey.AsSpan(encoded.Length));
        return withKey;
    }

    private static bool IsKnownValid(string? topic)
    {
        if (topic is null)
        {
            return false;
        }

        foreach (var valid in ValidTopics)
        {
            if (ReferenceEquals(valid, topic))
            {
                return true;
            }
        }

        return false;
    }

    private static string DescribeLimit(ProducerOptions options, int reserved) => reserved == 0
        ? $"{options.MaxPropertiesSize}"
        : $"{options.MaxPropertiesSize - reserved} ({options.MaxPropertiesSize}, ProducerOptions.MaxPropertiesSize, less {reserved} for the idempotent producer's sequence)";

    /// <summary>A lower bound of the encoded size (every character takes at least one UTF-8 byte), so a huge property set is refused without encoding it.</summary>
    private static long EstimateSize(List<KeyValuePair<string, string>> properties)
    {
        long size = 0;
        foreach (var (name, value) in properties)
        {
            size += name.Length + value.Length;
        }

        return size;
    }
}
