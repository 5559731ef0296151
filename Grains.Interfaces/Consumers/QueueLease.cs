namespace OrleansMq.Grains.Consumers;

/// <summary>
/// A queue granted to one member. The lease number changes whenever ownership is granted anew (to another member, or
/// after an offset reset); a member whose lease changed restarts the queue from <see cref="CommittedOffset"/>, and
/// commits carrying an old lease are refused.
/// </summary>
/// <param name="Topic">Topic.</param>
/// <param name="Broker">Owning broker of the queue.</param>
/// <param name="QueueId">Queue id.</param>
/// <param name="Lease">Lease number.</param>
/// <param name="CommittedOffset">The group's committed offset, or -1 when it has none yet.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.QueueLease")]
public sealed record QueueLease(
    [property: Id(0)] string Topic,
    [property: Id(1)] string Broker,
    [property: Id(2)] int QueueId,
    [property: Id(3)] long Lease,
    [property: Id(4)] long CommittedOffset);
