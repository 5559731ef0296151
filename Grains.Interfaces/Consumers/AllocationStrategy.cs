namespace OrleansMq.Grains.Consumers;

/// <summary>How a group's queues are divided among its members. Values are stable.</summary>
[GenerateSerializer, Alias("OrleansMq.AllocationStrategy")]
public enum AllocationStrategy
{
    /// <summary>Contiguous, even blocks of queues per member (RocketMQ AllocateMessageQueueAveragely, the default).</summary>
    Averagely = 0,

    /// <summary>Queue i goes to member i mod n (RocketMQ AllocateMessageQueueAveragelyByCircle).</summary>
    AveragelyByCircle = 1,

    /// <summary>A hash ring of members with virtual nodes; few queues move when members come and go.</summary>
    ConsistentHash = 2,

    /// <summary>Keeps every queue where it is unless the balance requires moving it: the fewest moves possible.</summary>
    Sticky = 3,
}
