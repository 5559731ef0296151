namespace OrleansMq.Grains.Consumers;

/// <summary>A consumer joining its group.</summary>
/// <param name="ClientId">The consumer's instance name (host, process), for operators.</param>
/// <param name="Subscriptions">Topics and filters.</param>
/// <param name="Mode">Clustering or broadcasting; every member of a group must agree.</param>
/// <param name="Strategy">Allocation strategy; every member of a group must agree.</param>
/// <param name="Observer">Told about assignment changes; may be null (the member then learns them from heartbeats).</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.MemberRegistration")]
public sealed record MemberRegistration(
    [property: Id(0)] string ClientId,
    [property: Id(1)] Subscription[] Subscriptions,
    [property: Id(2)] ConsumeMode Mode,
    [property: Id(3)] AllocationStrategy Strategy,
    [property: Id(4)] IConsumerGroupObserver? Observer);
