using OrleansMq.Grains.Messages;

namespace OrleansMq.Grains.Consumers;

/// <summary>A topic a member consumes, with its filter.</summary>
/// <param name="Topic">Topic.</param>
/// <param name="Filter">Broker-side filter.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.Subscription")]
public sealed record Subscription([property: Id(0)] string Topic, [property: Id(1)] FilterExpression Filter);
