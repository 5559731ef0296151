using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Naming;

namespace OrleansMq.Client.Consuming;

/// <summary>Settings of a <see cref="PushConsumer"/>. Defaults follow RocketMQ's DefaultMQPushConsumer.</summary>
public sealed record PushConsumerOptions
{
    /// <summary>The consumer group. Required.</summary>
    public string ConsumerGroup { get; init; } = "";

    /// <summary>Clustering (default: each message to one member) or broadcasting (every member gets every message).</summary>
    public ConsumeMode Mode { get; init; } = ConsumeMode.Clustering;

    /// <summary>How the group divides queues. Default <see cref="AllocationStrategy.Averagely"/>.</summary>
    public AllocationStrategy AllocationStrategy { get; init; } = AllocationStrategy.Averagely;

    /// <summary>Where to start on a queue the group has no offset for. Default <see cref="ConsumeFromWhere.LastOffset"/>.</summary>
    public ConsumeFromWhere ConsumeFrom { get; init; } = ConsumeFromWhere.LastOffset;

    /// <summary>The time for <see cref="ConsumeFromWhere.Timestamp"/>. Default half an hour before start (RocketMQ).</summary>
    public DateTimeOffset? ConsumeTimestamp { get; init; }

    /// <summary>Name of this consumer instance, shown to operators and used for the broadcasting offset file. Default <c>DEFAULT</c>.</summary>
    public string InstanceName { get; init; } = "DEFAULT";

    /// <summary>Parallel listener calls (concurrent listeners). Default 20 (RocketMQ consumeThreadMax).</summary>
    public int ConsumeThreads { get; init; } = 20;

    /// <summary>Messages per listener call. Default 1 (RocketMQ consumeMessageBatchMaxSize).</summary>
    public int ConsumeBatchSize { get; init; } = 1;

    /// <summary>Messages per pull. Default 32 (RocketMQ pullBatchSize).</summary>
    public int PullBatchSize { get; init; } = 32;

    /// <summary>Cached messages per queue before pulling pauses. Default 1,000 (RocketMQ pullThresholdForQueue).</summary>
    public int PullThresholdForQueue { get; init; } = 1000;

    /// <summary>Cached body bytes per queue before pulling pauses. Default 100 MiB (RocketMQ pullThresholdSizeForQueue).</summary>
    public long PullThresholdSizeForQueue { get; init; } = 100L * 1024 * 1024;

    /// <summary>
    /// With a concurrent listener, pulling a queue pauses while its oldest and newest unconsumed cached offsets are
    /// more than this apart: one slow message holds the queue's committable offset, and everything consumed behind it
    /// would be consumed again after a restart or rebalance. Default 2,000 (RocketMQ consumeConcurrentlyMaxSpan).
    /// </summary>
    public int ConsumeConcurrentlyMaxSpan { get; init; } = 2000;

    /// <summary>Long-poll time of each pull. Default 15 s.</summary>
    public TimeSpan LongPollWait { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often offsets are committed. Default 5 s.</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pause before pulling a queue again after an error. Default 1 s.</summary>
    public TimeSpan PullErrorBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Orderly listeners: pause after <see cref="ConsumeOrderlyStatus.SuspendCurrentQueueAMoment"/>. Default 1 s.</summary>
    public TimeSpan SuspendCurrentQueueTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>First delay before a failed concurrent message is delivered again locally; doubles per attempt up to one minute. Default 1 s.</summary>
    public TimeSpan ReconsumeBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Reconsume attempts before a message goes to the group's dead-letter topic <c>%DLQ%group</c>. -1 (default) means
    /// 16 for concurrent listeners and unlimited for orderly ones (RocketMQ's defaults).
    /// </summary>
    public int MaxReconsumeTimes { get; init; } = -1;

    /// <summary>
    /// How long a queue being handed to another member may take to finish its cached messages before the rest is left
    /// to the new holder (who then consumes them again). Default 30 s.
    /// </summary>
    public TimeSpan ReleaseTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Directory of broadcasting offset files. Default <c>~/.orleansmq/offsets</c>.</summary>
    public string? OffsetStoreDirectory { get; init; }

    /// <summary>Returns the problems, naming each option, its value and the allowed range.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (NameValidator.ValidateGroup(ConsumerGroup) is { } group)
        {
            errors.Add($"PushConsumerOptions.ConsumerGroup: {group}");
        }

        if (string.IsNullOrWhiteSpace(InstanceName) || InstanceName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            errors.Add($"PushConsumerOptions.InstanceName '{InstanceName}' must be a non-empty file-name-safe name.");
        }

        Check(errors, ConsumeThreads is >= 1 and <= 1024, $"PushConsumerOptions.ConsumeThreads is {ConsumeThreads}; it must be between 1 and 1024.");
        Check(errors, ConsumeBatchSize is >= 1 and <= 1024, $"PushConsumerOptions.ConsumeBatchSize is {ConsumeBatchSize}; it must be between 1 and 1024.");
        Check(errors, PullBatchSize is >= 1 and <= 1024, $"PushConsumerOptions.PullBatchSize is {PullBatchSize}; it must be between 1 and 1024.");
        Check(errors, PullThresholdForQueue is >= 1 and <= 65_536, $"PushConsumerOptions.PullThresholdForQueue is {PullThresholdForQueue}; it must be between 1 and 65536.");
        Check(errors, PullThresholdSizeForQueue >= 1024, $"PushConsumerOptions.PullThresholdSizeForQueue is {PullThresholdSizeForQueue}; it must be at least 1024.");
        Check(errors, ConsumeConcurrentlyMaxSpan is >= 1 and <= 65_535, $"PushConsumerOptions.ConsumeConcurrentlyMaxSpan is {ConsumeConcurrentlyMaxSpan}; it must be between 1 and 65535.");
        Check(errors, LongPollWait >= TimeSpan.Zero && LongPollWait <= TimeSpan.FromMinutes(1), $"PushConsumerOptions.LongPollWait is {LongPollWait}; it must be between 0 and 00:01:00.");
        Check(errors, CommitInterval >= TimeSpan.FromMilliseconds(10) && CommitInterval <= TimeSpan.FromMinutes(5), $"PushConsumerOptions.CommitInterval is {CommitInterval}; it must be between 00:00:00.01 and 00:05:00.");
        Check(errors, PullErrorBackoff >= TimeSpan.Zero, $"PushConsumerOptions.PullErrorBackoff is {PullErrorBackoff}; it may not be negative.");
        Check(errors, SuspendCurrentQueueTime >= TimeSpan.Zero, $"PushConsumerOptions.SuspendCurrentQueueTime is {SuspendCurrentQueueTime}; it may not be negative.");
        Check(errors, ReconsumeBackoff >= TimeSpan.Zero, $"PushConsumerOptions.ReconsumeBackoff is {ReconsumeBackoff}; it may not be negative.");
        Check(errors, MaxReconsumeTimes >= -1, $"PushConsumerOptions.MaxReconsumeTimes is {MaxReconsumeTimes}; it must be -1 (default) or at least 0.");
        Check(errors, ReleaseTimeout >= TimeSpan.Zero, $"PushConsumerOptions.ReleaseTimeout is {ReleaseTimeout}; it may not be negative.");
        Check(errors, Enum.IsDefined(Mode), $"PushConsumerOptions.Mode is {(int)Mode}; allowed are Clustering and Broadcasting.");
        Check(errors, Enum.IsDefined(AllocationStrategy), $"PushConsumerOptions.AllocationStrategy is {(int)AllocationStrategy}; allowed are Averagely, AveragelyByCircle, ConsistentHash and Sticky.");
        Check(errors, Enum.IsDefined(ConsumeFrom), $"PushConsumerOptions.ConsumeFrom is {(int)ConsumeFrom}; allowed are LastOffset, FirstOffset and Timestamp.");
        return errors;
    }

    private static void Check(List<string> errors, bool ok, string error)
    {
        if (!ok)
        {
            errors.Add(error);
        }
    }
}
