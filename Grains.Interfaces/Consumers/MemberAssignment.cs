namespace OrleansMq.Grains.Consumers;

/// <summary>What one member may consume now.</summary>
/// <param name="MemberId">The member's id in the group (new for every registration).</param>
/// <param name="Generation">Group generation; increases with every assignment change.</param>
/// <param name="Queues">The queues granted to this member.</param>
/// <param name="HeartbeatInterval">How often the member must heartbeat.</param>
/// <param name="Expiry">Silence after which the member is removed and its queues move.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.MemberAssignment")]
public sealed record MemberAssignment(
    [property: Id(0)] string MemberId,
    [property: Id(1)] long Generation,
    [property: Id(2)] QueueLease[] Queues,
    [property: Id(3)] TimeSpan HeartbeatInterval,
    [property: Id(4)] TimeSpan Expiry);
