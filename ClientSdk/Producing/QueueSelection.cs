namespace OrleansMq.Client.Producing;

/// <summary>How a <see cref="Producer"/> spreads messages without a sharding key over a topic's queues.</summary>
public enum QueueSelection
{
    /// <summary>
    /// Stay on a queue while it has a batch in flight, until <see cref="ProducerOptions.StickyQueueBytes"/> have been
    /// sent to it, then go to the next (Kafka's "uniform sticky" default, KIP-794). Under load consecutive messages
    /// are batched together, which keeps batches large on topics with many queues; a producer whose previous message
    /// is already acknowledged moves on at once, so one-at-a-time senders still go round-robin. Under light load (fewer
    /// bytes in flight than <see cref="ProducerOptions.StickyQueueBytes"/> or 256 KiB, whichever is less) a message
    /// whose queue's batch has already left goes to an idle queue instead of waiting for that batch's answer, so a
    /// producer at a modest rate pays one round trip.
    /// </summary>
    Sticky,

    /// <summary>Each message to the next queue in turn (RocketMQ's default). With many queues each batch holds few messages.</summary>
    RoundRobin,
}
