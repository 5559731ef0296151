namespace OrleansMq.Grains.Consumers;

/// <summary>What one member may consume now.</summary>
/// <param name="MemberId">The member's id in the group (new for every registration).</param>
/// <param name="Generation">Group generation; increases with every assignment change.</param>
/// <param name="Queues">The queues granted to this member.</param>
/// <param name="HeartbeatInterval">How often the member must heartbeat.</param>
/// <param name="Expiry">Silence after which the member is removed and its queues move.</param>
/// <param name="Revoking">
/// Queues the group has granted to this member but now wants back: the member finishes and releases them (even one it
/// never started, e.g. after missing a push), and they go to their next holder only then.
/// </param>
[GenerateSerializer, Immutable, Alias("OrleansMq.MemberAssignment")]
public sealed record MemberAssignment(
    [property: Id(0)] string MemberId,
    [property: Id(1)] long Generation,
    [property: Id(2)] QueueLease[] Queues,
    [property: Id(3)] TimeSpan HeartbeatInterval,
    [property: Id(4)] TimeSpan Expiry,
    [property: Id(5)] QueueLease[] Revoking);
