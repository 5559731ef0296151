namespace OrleansMq.Grains.Consumers;

/// <summary>Where a group starts on a queue it has no committed offset for (RocketMQ ConsumeFromWhere).</summary>
[GenerateSerializer, Alias("OrleansMq.ConsumeFromWhere")]
public enum ConsumeFromWhere
{
    /// <summary>Only messages stored from now on (the default).</summary>
    LastOffset = 0,

    /// <summary>The oldest message still stored.</summary>
    FirstOffset = 1,

    /// <summary>The first message stored at or after a timestamp.</summary>
    Timestamp = 2,
}
