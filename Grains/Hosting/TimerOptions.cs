namespace OrleansMq.Grains.Hosting;

/// <summary>Delay and timer message settings (configuration section <c>OrleansMq:Timers</c>).</summary>
public sealed class TimerOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "OrleansMq:Timers";

    /// <summary>Latest delivery time a timer message may ask for, relative to now. Default 30 days.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Pending timers whose record is older than this are copied forward in the log, so retention can delete old
    /// segments while long timers wait. Must be well below the store's retention. Default 24 h.
    /// </summary>
    public TimeSpan RerollAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the timer service looks for records to copy forward. Default 1 min.</summary>
    public TimeSpan RerollCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most timers delivered in one pass. Default 4,096.</summary>
    public int DeliveryBatchSize { get; set; } = 4096;

    /// <summary>Returns the problems, naming each option, its value and the allowed range.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxDelay < TimeSpan.FromSeconds(1) || MaxDelay > TimeSpan.FromDays(3650))
        {
            errors.Add($"TimerOptions.MaxDelay is {MaxDelay}; it must be between 00:00:01 and 3650 days.");
        }

        if (RerollAge < TimeSpan.FromMinutes(1))
        {
            errors.Add($"TimerOptions.RerollAge is {RerollAge}; it must be at least 00:01:00.");
        }

        if (RerollCheckInterval < TimeSpan.FromMilliseconds(100) || RerollCheckInterval > RerollAge)
        {
            errors.Add($"TimerOptions.RerollCheckInterval is {RerollCheckInterval}; it must be between 00:00:00.1 and RerollAge ({RerollAge}).");
        }

        if (DeliveryBatchSize is < 1 or > 65_536)
        {
            errors.Add($"TimerOptions.DeliveryBatchSize is {DeliveryBatchSize}; it must be between 1 and 65536.");
        }

        return errors;
    }
}
