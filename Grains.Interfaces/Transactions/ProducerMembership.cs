namespace OrleansMq.Grains.Transactions;

/// <summary>How a registered producer keeps its membership.</summary>
/// <param name="HeartbeatInterval">How often to heartbeat.</param>
/// <param name="Expiry">Silence after which the group forgets the producer.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.ProducerMembership")]
public sealed record ProducerMembership([property: Id(0)] TimeSpan HeartbeatInterval, [property: Id(1)] TimeSpan Expiry);
