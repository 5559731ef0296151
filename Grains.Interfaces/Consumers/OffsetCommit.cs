namespace OrleansMq.Grains.Consumers;

/// <summary>A member's progress on one queue: the next offset to consume.</summary>
/// <param name="Topic">Topic.</param>
/// <param name="QueueId">Queue id.</param>
/// <param name="Lease">The lease under which the member consumed.</param>
/// <param name="Offset">Next offset to consume (everything before it is done).</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.OffsetCommit")]
public readonly record struct OffsetCommit(
    [property: Id(0)] string Topic,
    [property: Id(1)] int QueueId,
    [property: Id(2)] long Lease,
    [property: Id(3)] long Offset);
