namespace OrleansMq.Grains.Consumers.Allocation;

/// <summary>Queue k goes to member k mod n (RocketMQ AllocateMessageQueueAveragelyByCircle).</summary>
internal sealed class CircleAllocator : QueueAllocator
{
    public static readonly CircleAllocator Instance = new();

    public override void Allocate(IReadOnlyList<QueueRef> queues, IReadOnlyList<string> members, IReadOnlyDictionary<QueueRef, string> current, Dictionary<QueueRef, string> result)
    {
        for (var k = 0; k < queues.Count; k++)
        {
            result[queues[k]] = members[k % members.Count];
        }
    }
}
