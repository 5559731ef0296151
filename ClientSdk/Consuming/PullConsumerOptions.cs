namespace OrleansMq.Client.Consuming;

/// <summary>Where a newly assigned queue starts when no position was set with <see cref="PullConsumer.Seek"/>.</summary>
public enum StartPosition
{
    /// <summary>The oldest message still stored.</summary>
    First = 0,

    /// <summary>Only messages stored after the assignment.</summary>
    Last = 1,
}

/// <summary>Settings of a <see cref="PullConsumer"/>.</summary>
public sealed record PullConsumerOptions
{
    /// <summary>Messages per pull. Default 32 (RocketMQ pullBatchSize).</summary>
    public int PullBatchSize { get; init; } = 32;

    /// <summary>Soft cap on bytes per pull. Default 4 MiB.</summary>
    public int PullMaxBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>How long the broker holds a pull when nothing is available. Default 15 s (RocketMQ long polling).</summary>
    public TimeSpan LongPollWait { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Pause before pulling a queue again after an error. Default 1 s.</summary>
    public TimeSpan ErrorBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Start of newly assigned queues. Default <see cref="StartPosition.First"/>.</summary>
    public StartPosition StartFrom { get; init; } = StartPosition.First;

    /// <summary>
    /// Optional broker-side tag or SQL92 filter for <see cref="PullConsumer.PollAsync"/>; a malformed one makes creating
    /// the consumer throw <see cref="ArgumentException"/>.
    /// </summary>
    public Grains.Messages.FilterExpression? Filter { get; init; }
}
