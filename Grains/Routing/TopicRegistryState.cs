namespace OrleansMq.Grains.Routing;

/// <summary>Persisted state of the <see cref="TopicRegistryGrain"/>: every topic's queue → broker assignment.</summary>
[GenerateSerializer, Alias("OrleansMq.TopicRegistryState")]
internal sealed class TopicRegistryState
{
    /// <summary>Topic → owning broker per queue id.</summary>
    [Id(0)] public Dictionary<string, string[]> Topics { get; set; } = [];
}
