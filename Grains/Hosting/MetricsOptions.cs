namespace OrleansMq.Grains.Hosting;

/// <summary>Broker metrics settings (configuration section <c>OrleansMq:Metrics</c>), see docs/operations.md.</summary>
public sealed class MetricsOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "OrleansMq:Metrics";

    /// <summary>Most (group, topic) series of the consumer lag gauges one broker exports.</summary>
    public const int MaxLagSeriesLimit = 100_000;

    /// <summary>
    /// How often consumer lag is collected for the <c>orleansmq-consumer-lag</c> gauges. Each broker collects the
    /// groups that hash to it, so every group costs one <c>GetLag</c> call per interval in the whole cluster.
    /// <see cref="TimeSpan.Zero"/> turns the collection off. Default 15 s.
    /// </summary>
    public TimeSpan LagInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Most (group, topic) lag series a broker exports; the ones with the largest lag are kept. Default 1,000.</summary>
    public int MaxLagSeries { get; set; } = 1000;

    /// <summary>Returns the problems, naming each option, its value and the allowed range.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (LagInterval != TimeSpan.Zero && (LagInterval < TimeSpan.FromMilliseconds(100) || LagInterval > TimeSpan.FromHours(1)))
        {
            errors.Add($"MetricsOptions.LagInterval is {LagInterval}; it must be 00:00:00 (off) or between 00:00:00.1 and 01:00:00.");
        }

        if (MaxLagSeries is < 1 or > MaxLagSeriesLimit)
        {
            errors.Add($"MetricsOptions.MaxLagSeries is {MaxLagSeries}; it must be between 1 and {MaxLagSeriesLimit}.");
        }

        return errors;
    }
}
