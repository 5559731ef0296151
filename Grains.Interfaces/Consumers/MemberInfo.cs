namespace OrleansMq.Grains.Consumers;

/// <summary>A member as an operator sees it.</summary>
/// <param name="MemberId">Member id.</param>
/// <param name="ClientId">Instance name.</param>
/// <param name="Subscriptions">Topics and filters.</param>
/// <param name="LastHeartbeat">Last time the member was heard from.</param>
/// <param name="Queues">Queues it holds (<c>topic/queueId</c>).</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.MemberInfo")]
public sealed record MemberInfo(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string ClientId,
    [property: Id(2)] Subscription[] Subscriptions,
    [property: Id(3)] DateTimeOffset LastHeartbeat,
    [property: Id(4)] string[] Queues);
