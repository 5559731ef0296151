namespace OrleansMq.Grains.Consumers;

/// <summary>Persisted state of the consumer group registry.</summary>
[GenerateSerializer, Alias("OrleansMq.ConsumerGroupRegistryState")]
internal sealed class ConsumerGroupRegistryState
{
    [Id(0)] public SortedSet<string> Groups { get; set; } = new(StringComparer.Ordinal);
}
