using System.Collections.Concurrent;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Client.Producing;

/// <summary>
/// <see cref="QueueSelection.Sticky"/>: a topic's messages without a sharding key stay on one queue while that queue
/// has a batch in flight, until <see cref="ProducerOptions.StickyQueueBytes"/> have been sent to it; then the next
/// usable queue is chosen (Kafka's uniform sticky partitioner, KIP-794, except that an idle queue is left at once).
/// Under load consecutive messages share a batch instead of one message per queue in turn, where the per-batch cost
/// would dominate with many queues; a producer sending one message at a time still goes round-robin.
/// </summary>
/// <remarks>
/// <para>
/// Under light load — fewer bytes in flight in the whole producer than one turn (<c>stickyBytes</c>) or
/// <see cref="LightLoadBytes"/>, whichever is less — a message whose queue's batch has already left (so it would wait
/// a round trip for that batch's answer before leaving) goes to an idle queue of the topic instead, as Kafka's
/// producer with <c>linger.ms=0</c> sends each partition's batch at once. A producer at a modest rate then pays one
/// round trip per message rather than one and a half, and behind a slow batch its next messages are already at the
/// broker; batches stay large where it matters, under load.
/// </para>
/// <para>
/// Thread-safe: one small lock per topic, held for a few comparisons. Returns the queue's sender (<typeparamref name="TSender"/>,
/// from <c>senderFor</c>), kept with the current queue, so a message that stays costs no sender lookup.
/// </para>
/// </remarks>
internal sealed class StickyQueueSelector<TSender>(
    BrokerFaultTracker faults,
    int stickyBytes,
    Func<string, QueueRoute, TSender> senderFor,
    Func<TSender, bool> hasBatchInFlight,
    Func<TSender, bool> isGathering,
    Func<long> producerBytesInFlight)
    where TSender : class
{
    /// <summary>
    /// Below this many bytes in flight in the whole producer (or one turn, if less) it counts as lightly loaded. Kept
    /// apart from the turn length: with 1 MiB turns as the threshold, a producer with ~1,000 messages of 1 KiB in
    /// flight hovers around it and scatters its messages over idle queues in batches of a few messages (W4 fell from
    /// ~200k to 130–145k msgs/s).
    /// </summary>
    internal const long LightLoadBytes = 256 * 1024;

    private readonly ConcurrentDictionary<string, Slot> _topics = new(StringComparer.Ordinal);
    private readonly long _lightLoadBytes = Math.Min(stickyBytes, LightLoadBytes);

    /// <summary>The sender of the queue for a message of <paramref name="size"/> bytes, avoiding <paramref name="avoid"/> and failing brokers.</summary>
    public TSender Select(TopicRoute route, int size, string? avoid)
    {
        var slot = _topics.TryGetValue(route.Topic, out var found) ? found : _topics.GetOrAdd(route.Topic, static _ => new Slot());
        lock (slot.Gate)
        {
            var queues = route.Queues;
            if (slot.Queue is { } current
                && slot.Sender is { } sender
                && slot.Bytes < stickyBytes
                && hasBatchInFlight(sender)
                && current.QueueId < queues.Length
                && Equals(queues[current.QueueId], current)
                && !string.Equals(current.Broker, avoid, StringComparison.Ordinal)
                && !faults.IsFaulty(current.Broker))
            {
                if (!isGathering(sender) && producerBytesInFlight() < _lightLoadBytes && FindIdle(route, current.QueueId, avoid) is { } idle)
                {
                    slot.Queue = idle.Queue;
                    slot.Sender = idle.Sender;
                    slot.Bytes = size;
                    return idle.Sender;
                }

                slot.Bytes += size;
                return sender;
            }

            // A new producer starts at a random queue, so producers started together do not all begin at queue 0.
            var start = slot.Queue is { } previous ? (uint)previous.QueueId + 1 : (uint)Random.Shared.Next(queues.Length);
            var next = faults.SelectQueue(route, avoid, start);
            slot.Queue = next;
            slot.Sender = senderFor(route.Topic, next);
            slot.Bytes = size;
            return slot.Sender;
        }
    }

    /// <summary>The next queue after <paramref name="after"/> with no batch in flight, on a usable broker; null when every one is busy.</summary>
    private (QueueRoute Queue, TSender Sender)? FindIdle(TopicRoute route, int after, string? avoid)
    {
        var queues = route.Queues;
        for (var i = 1; i < queues.Length; i++)
        {
            var queue = queues[(after + i) % queues.Length];
            if (string.Equals(queue.Broker, avoid, StringComparison.Ordinal) || faults.IsFaulty(queue.Broker))
            {
                continue;
            }

            var sender = senderFor(route.Topic, queue);
            if (!hasBatchInFlight(sender))
            {
                return (queue, sender);
            }
        }

        return null;
    }

    private sealed class Slot
    {
        public readonly Lock Gate = new();
        public QueueRoute? Queue;
        public TSender? Sender;
        public long Bytes;
    }
}
