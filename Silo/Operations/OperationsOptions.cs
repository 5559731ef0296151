namespace OrleansMq.Silo.Operations;

/// <summary>
/// What the broker serves on its HTTP port besides <c>/health</c> (configuration section <c>OrleansMq:Operations</c>):
/// the Orleans dashboard, the MQ console and its JSON API, and the Prometheus scraping endpoint. See docs/operations.md.
/// </summary>
public sealed class OperationsOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "OrleansMq:Operations";

    /// <summary>Host the Orleans dashboard at <c>/dashboard</c>. Default true.</summary>
    public bool Dashboard { get; set; } = true;

    /// <summary>
    /// Keep the dashboard's per-method grain call profiling (its "calls per method" charts). Default false: its call
    /// filter wraps every grain call, the queue grains' appends and pulls included (it can skip their timing, not the
    /// wrapping), which cost the broker ~8% CPU per message at one message per call (W4).
    /// </summary>
    public bool DashboardProfiling { get; set; }

    /// <summary>Serve the MQ console at <c>/console</c> and its JSON API at <c>/api</c>. Default true.</summary>
    public bool Console { get; set; } = true;

    /// <summary>Serve metrics in the Prometheus text format at <c>/metrics</c>. Default true.</summary>
    public bool Prometheus { get; set; } = true;

    /// <summary>How often the console samples broker traffic and consumer lag while someone uses it. Default 2 s.</summary>
    public TimeSpan ConsoleSampleInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How much sampled history (rates, lag charts) the console keeps. Default 10 min.</summary>
    public TimeSpan ConsoleHistory { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The console stops sampling this long after its last API request. Default 2 min.</summary>
    public TimeSpan ConsoleIdleAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Most consumer groups the console samples for lag history. Default 200.</summary>
    public int ConsoleMaxGroups { get; set; } = 200;

    /// <summary>Returns the problems, naming each option, its value and the allowed range.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (ConsoleSampleInterval < TimeSpan.FromMilliseconds(200) || ConsoleSampleInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add($"OrleansMq:Operations:ConsoleSampleInterval is {ConsoleSampleInterval}; it must be between 00:00:00.2 and 00:05:00.");
        }

        if (ConsoleHistory < ConsoleSampleInterval * 2 || ConsoleHistory > TimeSpan.FromHours(6) || ConsoleHistory / ConsoleSampleInterval > 10_000)
        {
            errors.Add($"OrleansMq:Operations:ConsoleHistory is {ConsoleHistory}; it must be at least two sample intervals, at most 06:00:00 and at most 10,000 samples.");
        }

        if (ConsoleIdleAfter < ConsoleSampleInterval || ConsoleIdleAfter > TimeSpan.FromHours(24))
        {
            errors.Add($"OrleansMq:Operations:ConsoleIdleAfter is {ConsoleIdleAfter}; it must be between ConsoleSampleInterval ({ConsoleSampleInterval}) and 1.00:00:00.");
        }

        if (ConsoleMaxGroups is < 1 or > 10_000)
        {
            errors.Add($"OrleansMq:Operations:ConsoleMaxGroups is {ConsoleMaxGroups}; it must be between 1 and 10000.");
        }

        return errors;
    }
}
