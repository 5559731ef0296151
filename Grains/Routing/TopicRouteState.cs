
namespace OrleansMq.Grains.Routing;

/// <summary>Persisted state of a <see cref="TopicRouteGrain"/>. Ids are stable; only add.</summary>
[GenerateSerializer, Alias("OrleansMq.TopicRouteState")]
internal sealed class TopicRouteState
{
    /// <summary>False before creation and after deletion.</summary>
    [Id(0)] public bool Exists { get; set; }

    /// <summary>Read/write permission.</summary>
    [Id(1)] public TopicPermission Permission { get; set; }

    /// <summary>Owning broker per queue id.</summary>
    [Id(2)] public string[] Brokers { get; set; } = [];

    /// <summary>Route version; survives deletion so a re-created topic's route is newer than any cached one.</summary>
    [Id(3)] public long Version { get; set; }

    /// <summary>When the topic was created.</summary>
    [Id(4)] public DateTimeOffset CreatedAt { get; set; }
}
