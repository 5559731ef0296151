namespace OrleansMq.Grains.Routing;

/// <summary>One queue of a topic and the broker that owns its log.</summary>
/// <param name="QueueId">Queue id, 0-based and dense within the topic.</param>
/// <param name="Broker">Name of the owning broker (its silo name).</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.QueueRoute")]
public sealed record QueueRoute([property: Id(0)] int QueueId, [property: Id(1)] string Broker);
