namespace OrleansMq.Grains.Hosting;

/// <summary>Transactional message and producer group settings of the brokers (configuration section <c>OrleansMq:Transactions</c>).</summary>
/// <remarks>
/// Check-back timing follows RocketMQ: a half message is first checked <see cref="TransactionTimeout"/> after it was
/// prepared, then every <see cref="CheckInterval"/>, at most <see cref="MaxChecks"/> times; with the defaults the last
/// check is 6 s + 14 × 30 s = 7 min 6 s after the prepare, and the message is discarded right after it.
/// </remarks>
public sealed class TransactionOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "OrleansMq:Transactions";

    /// <summary>Age of a pending half message at its first check-back. Default 6 s (RocketMQ transactionTimeOut).</summary>
    public TimeSpan TransactionTimeout { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>Time between check-backs of a message whose outcome stays unknown. Default 30 s (RocketMQ transactionCheckInterval).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Check-backs of one message before it is discarded. Default 15 (RocketMQ transactionCheckMax).</summary>
    public int MaxChecks { get; set; } = 15;

    /// <summary>
    /// How long a broker waits for one producer to answer a check-back before it asks another producer of the group
    /// (or counts the check as unanswered). Default 5 s.
    /// </summary>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most half messages checked in one pass of a broker (and sent to a producer in one call). Default 1,024.</summary>
    public int CheckBatchSize { get; set; } = 1024;

    /// <summary>How often transaction producers heartbeat their producer group. Default 10 s.</summary>
    public TimeSpan ProducerHeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Silence after which a producer group forgets a producer. Default 30 s.</summary>
    public TimeSpan ProducerExpiry { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest a half message can stay pending: until its last check-back.</summary>
    public TimeSpan MaxPendingTime => TransactionTimeout + (CheckInterval * Math.Max(0, MaxChecks - 1));

    /// <summary>Returns the problems, naming each option, its value and the allowed range.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (TransactionTimeout < TimeSpan.FromSeconds(1) || TransactionTimeout > TimeSpan.FromDays(1))
        {
            errors.Add($"TransactionOptions.TransactionTimeout is {TransactionTimeout}; it must be between 00:00:01 and 1.00:00:00.");
        }

        if (CheckInterval < TimeSpan.FromSeconds(1) || CheckInterval > TimeSpan.FromDays(1))
        {
            errors.Add($"TransactionOptions.CheckInterval is {CheckInterval}; it must be between 00:00:01 and 1.00:00:00.");
        }

        if (MaxChecks is < 1 or > 1000)
        {
            errors.Add($"TransactionOptions.MaxChecks is {MaxChecks}; it must be between 1 and 1000.");
        }

        if (CheckTimeout < TimeSpan.FromMilliseconds(100) || CheckTimeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"TransactionOptions.CheckTimeout is {CheckTimeout}; it must be between 00:00:00.1 and 00:05:00.");
        }

        if (CheckBatchSize is < 1 or > 65_536)
        {
            errors.Add($"TransactionOptions.CheckBatchSize is {CheckBatchSize}; it must be between 1 and 65536.");
        }

        if (ProducerHeartbeatInterval < TimeSpan.FromMilliseconds(100) || ProducerHeartbeatInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add($"TransactionOptions.ProducerHeartbeatInterval is {ProducerHeartbeatInterval}; it must be between 00:00:00.1 and 00:05:00.");
        }

        if (ProducerExpiry < ProducerHeartbeatInterval * 2)
        {
            errors.Add($"TransactionOptions.ProducerExpiry is {ProducerExpiry}; it must be at least twice ProducerHeartbeatInterval ({ProducerHeartbeatInterval}).");
        }

        return errors;
    }
}
