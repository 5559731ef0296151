namespace OrleansMq.Grains.Consumers;

/// <summary>How far a group is behind on one queue.</summary>
/// <param name="Topic">Topic.</param>
/// <param name="Broker">Owning broker.</param>
/// <param name="QueueId">Queue id.</param>
/// <param name="CommittedOffset">The group's committed offset (-1: none yet).</param>
/// <param name="MaxOffset">The queue's max offset.</param>
/// <param name="Lag">Messages not yet consumed: max − committed (max − min when nothing is committed).</param>
/// <param name="OldestUnconsumedAge">Age of the oldest unconsumed message; null when nothing is waiting or unknown.</param>
/// <param name="Owner">Member holding the queue, or null.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.QueueLag")]
public sealed record QueueLag(
    [property: Id(0)] string Topic,
    [property: Id(1)] string Broker,
    [property: Id(2)] int QueueId,
    [property: Id(3)] long CommittedOffset,
    [property: Id(4)] long MaxOffset,
    [property: Id(5)] long Lag,
    [property: Id(6)] TimeSpan? OldestUnconsumedAge,
    [property: Id(7)] string? Owner);
