namespace OrleansMq.Grains.Hosting;

/// <summary>Settings of a broker silo (configuration section <c>OrleansMq:Broker</c>).</summary>
public sealed class BrokerOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "OrleansMq:Broker";

    /// <summary>
    /// Stable broker name, also the silo name. When null, the name persisted in the data directory is used, or a new
    /// one (<c>broker-xxxxxxxx</c>) is created and persisted on first start.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>Directory for the commit log, indexes and broker identity. Default <c>./data</c>.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Create a topic with <see cref="DefaultQueueCount"/> queues on its first send. Default true (RocketMQ autoCreateTopicEnable).</summary>
    public bool AutoCreateTopics { get; set; } = true;

    /// <summary>Queues of an auto-created topic. Default 8 (RocketMQ broker default).</summary>
    public int DefaultQueueCount { get; set; } = 8;

    /// <summary>Longest a pull may be held by long polling; longer client waits are cut to this. Default 20 s.</summary>
    public TimeSpan MaxPullWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Most messages one pull returns. Default 1,024.</summary>
    public int MaxPullMessages { get; set; } = 1024;

    /// <summary>Most bytes one pull returns (at least one message is always returned). Default 16 MiB.</summary>
    public int MaxPullBytes { get; set; } = 16 * 1024 * 1024;
}
