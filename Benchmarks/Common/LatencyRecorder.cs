using System.Diagnostics;

namespace OrleansMq.Benchmarks.Common;

/// <summary>
/// Raw latency samples (Stopwatch ticks) in a preallocated array, thread-safe to record into; samples beyond the
/// capacity are counted and dropped so memory stays bounded. Percentiles are exact nearest-rank over kept samples.
/// With <paramref name="timed"/>, each sample also keeps when it started, for a per-second <see cref="Timeline"/>.
/// </summary>
internal sealed class LatencyRecorder(int capacity, bool timed = false)
{
    private readonly long[] _samples = new long[capacity];
    private readonly long[]? _starts = timed ? new long[capacity] : null;
    private long _count;

    public long Count => Math.Min(Interlocked.Read(ref _count), _samples.Length);

    public void Record(long ticks)
    {
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < _samples.Length)
        {
            _samples[i] = ticks;
        }
    }

    /// <summary>Records a sample that started at <paramref name="start"/> (Stopwatch ticks); needs a timed recorder.</summary>
    public void Record(long ticks, long start)
    {
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < _samples.Length)
        {
            _starts![i] = start;
            _samples[i] = ticks;
        }
    }

    public LatencySummary Summarize() => Summarize(_samples.AsSpan(0, (int)Count).ToArray());

    /// <summary>Percentiles of the samples that started in each whole second from <paramref name="origin"/>.</summary>
    public IEnumerable<(int Second, LatencySummary Summary)> Timeline(long origin)
    {
        var n = (int)Count;
        return Enumerable.Range(0, n)
            .GroupBy(i => (int)((_starts![i] - origin) / Stopwatch.Frequency))
            .OrderBy(g => g.Key)
            .Select(g => (g.Key, Summarize(g.Select(i => _samples[i]).ToArray())));
    }

    private static LatencySummary Summarize(long[] sorted)
    {
        var n = sorted.Length;
        if (n == 0)
        {
            return new LatencySummary(0, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        Array.Sort(sorted);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        double P(double q) => Ms(sorted[Math.Clamp((int)Math.Ceiling(q * n) - 1, 0, n - 1)]);
        return new LatencySummary(n, P(0.50), P(0.99), P(0.999), Ms(sorted[^1]));
    }
}

/// <summary>Latency percentiles in milliseconds.</summary>
internal readonly record struct LatencySummary(long Samples, double P50, double P99, double P999, double Max);
