namespace OrleansMq.Grains.Consumers;

/// <summary>A consumer group as an operator sees it.</summary>
/// <param name="Group">Group name.</param>
/// <param name="Mode">Consume mode (of the current members).</param>
/// <param name="Strategy">Allocation strategy.</param>
/// <param name="Generation">Assignment generation.</param>
/// <param name="Members">Live members.</param>
/// <param name="PendingMoves">Queues waiting for their previous holder to release them (<c>topic/queueId</c>).</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.GroupDescription")]
public sealed record GroupDescription(
    [property: Id(0)] string Group,
    [property: Id(1)] ConsumeMode Mode,
    [property: Id(2)] AllocationStrategy Strategy,
    [property: Id(3)] long Generation,
    [property: Id(4)] MemberInfo[] Members,
    [property: Id(5)] string[] PendingMoves);
