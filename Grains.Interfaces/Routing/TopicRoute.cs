namespace OrleansMq.Grains.Routing;

/// <summary>Where a topic's queues live. Replaces RocketMQ's NameServer route data.</summary>
/// <param name="Topic">Topic name.</param>
/// <param name="Version">Increases with every change; clients keep the newest they have seen.</param>
/// <param name="Permission">Read/write permission.</param>
/// <param name="Queues">Every queue, ordered by queue id.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.TopicRoute")]
public sealed record TopicRoute(
    [property: Id(0)] string Topic,
    [property: Id(1)] long Version,
    [property: Id(2)] TopicPermission Permission,
    [property: Id(3)] QueueRoute[] Queues)
{
    /// <summary>True when producers may send.</summary>
    public bool IsWritable => (Permission & TopicPermission.Write) != 0;

    /// <summary>True when consumers may pull.</summary>
    public bool IsReadable => (Permission & TopicPermission.Read) != 0;
}
