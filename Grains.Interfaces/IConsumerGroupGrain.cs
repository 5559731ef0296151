using Orleans.Concurrency;
using OrleansMq.Grains.Consumers;

namespace OrleansMq.Grains;

/// <summary>
/// One consumer group (keyed by group name): membership with heartbeats and expiry, the assignment of queues to
/// members computed once here (not by every client), fencing of queue handovers, and committed offsets.
/// </summary>
/// <remarks>
/// A queue moves to a new member only after its previous holder released it or expired. Offsets are accepted only
/// from the member holding the queue under the current lease, so two live members never consume the same queue of
/// the group at once and a member that lost a queue cannot overwrite its successor's progress.
/// </remarks>
[Alias("OrleansMq.IConsumerGroupGrain")]
public interface IConsumerGroupGrain : IGrainWithStringKey
{
    /// <summary>Adds a member and returns its first assignment.</summary>
    /// <exception cref="Errors.InvalidRequestException">Bad subscriptions, or a mode/strategy that differs from the group's members.</exception>
    [Alias("Register")]
    Task<MemberAssignment> RegisterAsync(MemberRegistration registration);

    /// <summary>Keeps a member alive; returns its current assignment, or null when the group no longer knows it (register again).</summary>
    [Alias("Heartbeat")]
    Task<MemberAssignment?> HeartbeatAsync(string memberId);

    /// <summary>Commits offsets (fenced by lease).</summary>
    [Alias("Commit")]
    Task<CommitResult> CommitAsync(string memberId, OffsetCommit[] offsets);

    /// <summary>Returns queues the member was asked to give up, with their final offsets, so they can move on.</summary>
    [Alias("Release")]
    Task<CommitResult> ReleaseAsync(string memberId, OffsetCommit[] finalOffsets);

    /// <summary>Removes a member that shuts down cleanly, committing its final offsets; its queues move at once.</summary>
    [Alias("Unregister")]
    Task UnregisterAsync(string memberId, OffsetCommit[] finalOffsets);

    /// <summary>The committed offset of a queue, or -1.</summary>
    [Alias("GetOffset"), ReadOnly]
    Task<long> GetOffsetAsync(string topic, int queueId);

    /// <summary>Members, generation and assignment.</summary>
    [Alias("Describe"), ReadOnly]
    Task<GroupDescription> DescribeAsync();

    /// <summary>Lag per queue of every subscribed topic (and every topic with committed offsets).</summary>
    [Alias("GetLag")]
    Task<QueueLag[]> GetLagAsync();

    /// <summary>
    /// Sets the committed offset of every queue of <paramref name="topic"/> to the first message stored at or after
    /// <paramref name="timestamp"/> (Unix ms) and makes current holders restart from it. Returns the new offsets.
    /// </summary>
    [Alias("ResetOffsets")]
    Task<OffsetCommit[]> ResetOffsetsAsync(string topic, long timestamp);
}
