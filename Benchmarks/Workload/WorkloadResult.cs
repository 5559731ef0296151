using System.Globalization;

namespace OrleansMq.Benchmarks.Workload;

/// <summary>The figures of one workload run, in print order.</summary>
internal sealed class WorkloadResult(string name)
{
    public string Name { get; } = name;

    public List<KeyValuePair<string, object>> Fields { get; } = [];

    public double this[string key] => Convert.ToDouble(Fields.Find(f => f.Key == key).Value, CultureInfo.InvariantCulture);

    public void Add(string key, object value) => Fields.Add(new(key, value));

    public void AddLatency(string prefix, Common.LatencySummary summary)
    {
        Add($"{prefix}_p50_ms", Math.Round(summary.P50, 3));
        Add($"{prefix}_p99_ms", Math.Round(summary.P99, 3));
        Add($"{prefix}_p999_ms", Math.Round(summary.P999, 3));
        Add($"{prefix}_max_ms", Math.Round(summary.Max, 3));
        Add($"{prefix}_samples", summary.Samples);
    }

    public void AddCpu(Common.CpuUsage cpu)
    {
        Add("cpu_client", Math.Round(cpu.Client, 2));
        Add("cpu_broker", Math.Round(cpu.Server, 2));
        Add("cpu_other", Math.Round(cpu.Other, 2));
    }

    public string Line() => $"workload={Name} " + string.Join(' ', Fields.Select(f => $"{f.Key}={Format(f.Value)}"));

    private static string Format(object value) => value switch
    {
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
