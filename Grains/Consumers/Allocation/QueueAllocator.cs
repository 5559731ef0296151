namespace OrleansMq.Grains.Consumers.Allocation;

/// <summary>
/// Divides the queues of one topic among the members subscribed to it. Implementations are pure and deterministic:
/// the same inputs give the same assignment, whichever silo computes it.
/// </summary>
internal abstract class QueueAllocator
{
    /// <summary>Adds an owner for every queue to <paramref name="result"/>.</summary>
    /// <param name="queues">The topic's queues, sorted.</param>
    /// <param name="members">The subscribed live members, sorted, at least one.</param>
    /// <param name="current">Who holds each queue now (may name members that are gone).</param>
    /// <param name="result">Receives queue → member.</param>
    public abstract void Allocate(IReadOnlyList<QueueRef> queues, IReadOnlyList<string> members, IReadOnlyDictionary<QueueRef, string> current, Dictionary<QueueRef, string> result);

    public static QueueAllocator For(AllocationStrategy strategy) => strategy switch
    {
        AllocationStrategy.Averagely => AveragelyAllocator.Instance,
        AllocationStrategy.AveragelyByCircle => CircleAllocator.Instance,
        AllocationStrategy.ConsistentHash => ConsistentHashAllocator.Instance,
        AllocationStrategy.Sticky => StickyAllocator.Instance,
        _ => throw new Errors.InvalidRequestException($"Allocation strategy {(int)strategy} is unknown; use Averagely, AveragelyByCircle, ConsistentHash or Sticky."),
    };
}
