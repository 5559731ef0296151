namespace OrleansMq.Grains.Persistence;

/// <summary>Names of the grain storage providers and state names (one state name per grain type, never shared).</summary>
public static class StateStorage
{
    /// <summary>The grain storage provider holding broker metadata (routes, registries, consumer offsets).</summary>
    public const string ProviderName = "orleansmq";

    internal const string TopicRoute = "topic-route";
    internal const string TopicRegistry = "topic-registry";
    internal const string BrokerRegistry = "broker-registry";
    internal const string ConsumerGroup = "consumer-group";
    internal const string ConsumerGroupRegistry = "consumer-group-registry";
}
