namespace OrleansMq.Grains.Routing;

/// <summary>The settings of a topic that an administrator chooses.</summary>
/// <param name="QueueCount">Number of queues; may grow, never shrink (offsets of a removed queue would be lost).</param>
/// <param name="Permission">Read/write permission.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.TopicConfig")]
public sealed record TopicConfig([property: Id(0)] int QueueCount, [property: Id(1)] TopicPermission Permission = TopicPermission.ReadWrite)
{
    /// <summary>Most queues one topic may have.</summary>
    public const int MaxQueueCount = 1024;

    /// <summary>Returns null when valid, else the problem and the allowed range.</summary>
    public string? Validate() =>
        QueueCount is < 1 or > MaxQueueCount
            ? $"TopicConfig.QueueCount is {QueueCount}; it must be between 1 and {MaxQueueCount}."
            : (Permission & ~TopicPermission.ReadWrite) != 0
                ? $"TopicConfig.Permission is {(int)Permission}; allowed are None, Read, Write and ReadWrite."
                : null;
}
