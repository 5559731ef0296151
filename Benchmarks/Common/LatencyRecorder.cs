using System.Diagnostics;

namespace OrleansMq.Benchmarks.Common;

/// <summary>
/// Raw latency samples (Stopwatch ticks) in a preallocated array, thread-safe to record into; samples beyond the
/// capacity are counted and dropped so memory stays bounded. Percentiles are exact nearest-rank over kept samples.
/// </summary>
internal sealed class LatencyRecorder(int capacity)
{
    private readonly long[] _samples = new long[capacity];
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

    public LatencySummary Summarize()
    {
        var n = (int)Count;
        if (n == 0)
        {
            return new LatencySummary(0, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var sorted = _samples.AsSpan(0, n).ToArray();
        Array.Sort(sorted);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        double P(double q) => Ms(sorted[Math.Clamp((int)Math.Ceiling(q * n) - 1, 0, n - 1)]);
        return new LatencySummary(n, P(0.50), P(0.99), P(0.999), Ms(sorted[^1]));
    }
}

/// <summary>Latency percentiles in milliseconds.</summary>
internal readonly record struct LatencySummary(long Samples, double P50, double P99, double P999, double Max);
