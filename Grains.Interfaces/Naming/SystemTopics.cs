namespace OrleansMq.Grains.Naming;

/// <summary>The reserved topic names and prefixes (RocketMQ names, so RocketMQ users recognise them).</summary>
public static class SystemTopics
{
    /// <summary>Prefix of a consumer group's retry topic: <c>%RETRY%{group}</c>.</summary>
    public const string RetryPrefix = "%RETRY%";

    /// <summary>Prefix of a consumer group's dead-letter topic: <c>%DLQ%{group}</c>.</summary>
    public const string DeadLetterPrefix = "%DLQ%";

    /// <summary>Prefix of internal broker topics (delay levels, timers, transactions).</summary>
    public const string SystemPrefix = "RMQ_SYS_";

    /// <summary>Reserved for RocketMQ compatibility (delay-level messages wait in <see cref="Timer"/> here).</summary>
    public const string Schedule = "SCHEDULE_TOPIC_XXXX";

    /// <summary>Broker-local topic of pending delay and timer messages (queue 0) and their done/cancel markers (queue 1).</summary>
    public const string Timer = SystemPrefix + "TIMER";

    /// <summary>Broker-local topic of transactional half messages (queue 0), invisible to consumers until committed.</summary>
    public const string TransactionHalf = SystemPrefix + "TRANS_HALF_TOPIC";

    /// <summary>Broker-local topic of transaction op markers (queue 0): commit, rollback, discard and check records.</summary>
    public const string TransactionOp = SystemPrefix + "TRANS_OP_HALF_TOPIC";

    /// <summary>Human-readable list of the reserved names for error messages.</summary>
    public const string Describe = "'%RETRY%…', '%DLQ%…', 'RMQ_SYS_…', 'SCHEDULE_TOPIC_XXXX'";

    /// <summary>The retry topic of a consumer group.</summary>
    public static string Retry(string group) => RetryPrefix + group;

    /// <summary>The dead-letter topic of a consumer group.</summary>
    public static string DeadLetter(string group) => DeadLetterPrefix + group;

    /// <summary>True for reserved names that users may not send to directly.</summary>
    public static bool IsSystem(string topic) =>
        topic.StartsWith(RetryPrefix, StringComparison.Ordinal)
        || topic.StartsWith(DeadLetterPrefix, StringComparison.Ordinal)
        || topic.StartsWith(SystemPrefix, StringComparison.Ordinal)
        || string.Equals(topic, Schedule, StringComparison.Ordinal);

    /// <summary>The part after a '%…%' prefix, or the name itself.</summary>
    internal static string StripPrefix(string topic)
    {
        if (topic.StartsWith(RetryPrefix, StringComparison.Ordinal))
        {
            return topic[RetryPrefix.Length..];
        }

        return topic.StartsWith(DeadLetterPrefix, StringComparison.Ordinal) ? topic[DeadLetterPrefix.Length..] : topic;
    }
}
