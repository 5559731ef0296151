using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using OrleansMq.Grains.Messages;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Scheduling;

/// <summary>How timer records and control markers are encoded, and how a message's delivery time is read.</summary>
internal static class TimerRecords
{
    public const string Done = "done";
    public const string Cancel = "cancel";

    private static readonly byte[] DelayName = Encoding.UTF8.GetBytes(PropertyNames.DelayLevel);
    private static readonly byte[] DeliverTimeName = Encoding.UTF8.GetBytes(PropertyNames.DeliverTime);

    /// <summary>
    /// The absolute delivery time (Unix ms) of a scheduled message, from its delivery time or delay level, or an error
    /// text naming what is wrong and what is allowed.
    /// </summary>
    public static (long DeliverAt, string? Error) ResolveDeliverAt(ReadOnlySpan<byte> properties, long now, TimeSpan maxDelay)
    {
        long deliverAt;
        if (MessageProperties.TryGetValue(properties, DeliverTimeName, out var at))
        {
            if (!long.TryParse(Encoding.UTF8.GetString(at), NumberStyles.Integer, CultureInfo.InvariantCulture, out deliverAt))
            {
                return (0, $"Property {PropertyNames.DeliverTime} is not a Unix time in milliseconds.");
            }
        }
        else if (MessageProperties.TryGetValue(properties, DelayName, out var level))
        {
            if (!int.TryParse(Encoding.UTF8.GetString(level), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
            {
                return (0, $"Delay level '{Encoding.UTF8.GetString(level)}' does not exist; levels are 1 to {DelayLevels.MaxLevel} ({DelayLevels.Describe}).");
            }

            // RocketMQ clamps a level above the highest to the highest (2 h).
            deliverAt = now + (long)DelayLevels.Delay(Math.Min(n, DelayLevels.MaxLevel)).TotalMilliseconds;
        }
        else
        {
            return (now, null);
        }

        var latest = now + (long)maxDelay.TotalMilliseconds;
        return deliverAt > latest
            ? (0, $"Delivery time {DateTimeOffset.FromUnixTimeMilliseconds(deliverAt):O} is more than the maximum delay of {maxDelay} ahead; deliver at {DateTimeOffset.FromUnixTimeMilliseconds(latest):O} at the latest.")
            : (deliverAt, null);
    }

    /// <summary>The record parked in the timer queue: the message with its real queue and absolute delivery time.</summary>
    public static byte[] TimerProperties(ReadOnlySpan<byte> properties, string realTopic, int realQueueId, long deliverAt)
    {
        var decoded = MessageProperties.Decode(properties);
        decoded[PropertyNames.RealTopic] = realTopic;
        decoded[PropertyNames.RealQueueId] = realQueueId.ToString(CultureInfo.InvariantCulture);
        decoded[PropertyNames.DeliverTime] = deliverAt.ToString(CultureInfo.InvariantCulture);
        return MessageProperties.Encode(decoded);
    }

    /// <summary>The message as it is delivered: the timer bookkeeping removed.</summary>
    public static (string Topic, int QueueId, byte[] Properties) ForDelivery(ReadOnlySpan<byte> properties)
    {
        var decoded = MessageProperties.Decode(properties);
        var topic = decoded[PropertyNames.RealTopic];
        var queueId = int.Parse(decoded[PropertyNames.RealQueueId], CultureInfo.InvariantCulture);
        decoded.Remove(PropertyNames.RealTopic);
        decoded.Remove(PropertyNames.RealQueueId);
        decoded.Remove(PropertyNames.DeliverTime);
        decoded.Remove(PropertyNames.DelayLevel);

        // The delivered copy is a new record of the queue, not the producer's batch: keep it out of the rebuilt producer state.
        decoded.Remove(PropertyNames.ProducerSequence);
        return (topic, queueId, MessageProperties.Encode(decoded));
    }

    public static long DeliverAtOf(ReadOnlySpan<byte> properties) =>
        MessageProperties.TryGetValue(properties, DeliverTimeName, out var at)
        && long.TryParse(Encoding.UTF8.GetString(at), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;

    /// <summary>A control marker: which timer queue offsets were delivered or cancelled.</summary>
    public static void WriteControl(IBufferWriter<byte> batch, string kind, IReadOnlyList<long> queueOffsets, long now)
    {
        var body = new byte[queueOffsets.Count * 8];
        for (var i = 0; i < queueOffsets.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(i * 8), queueOffsets[i]);
        }

        var properties = MessageProperties.Encode([new KeyValuePair<string, string>(PropertyNames.TimerControl, kind)]);
        MessageBatchWriter.Write(batch, now, MessageFlags.None, properties, body);
    }

    /// <summary>Reads a control marker's queue offsets.</summary>
    public static IEnumerable<long> ReadControl(ReadOnlyMemory<byte> body)
    {
        for (var i = 0; i + 8 <= body.Length; i += 8)
        {
            yield return BinaryPrimitives.ReadInt64LittleEndian(body.Span[i..]);
        }
    }
}
