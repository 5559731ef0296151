namespace OrleansMq.Grains.Hosting;

/// <summary>Consumer group settings of the brokers (configuration section <c>OrleansMq:ConsumerGroups</c>).</summary>
public sealed class ConsumerGroupOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "OrleansMq:ConsumerGroups";

    /// <summary>How often members heartbeat. Default 10 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Silence after which a member is removed and its queues move. Default 30 s.</summary>
    public TimeSpan MemberExpiry { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the group looks for expired members and missed route changes. Default 5 s.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Returns the problems, naming each option, its value and the allowed range.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (HeartbeatInterval < TimeSpan.FromMilliseconds(100) || HeartbeatInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add($"ConsumerGroupOptions.HeartbeatInterval is {HeartbeatInterval}; it must be between 00:00:00.1 and 00:05:00.");
        }

        if (MemberExpiry < HeartbeatInterval * 2)
        {
            errors.Add($"ConsumerGroupOptions.MemberExpiry is {MemberExpiry}; it must be at least twice HeartbeatInterval ({HeartbeatInterval}).");
        }

        if (CheckInterval < TimeSpan.FromMilliseconds(100) || CheckInterval > MemberExpiry)
        {
            errors.Add($"ConsumerGroupOptions.CheckInterval is {CheckInterval}; it must be between 00:00:00.1 and MemberExpiry ({MemberExpiry}).");
        }

        return errors;
    }
}
