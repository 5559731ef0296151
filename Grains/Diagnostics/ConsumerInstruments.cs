using System.Diagnostics.Metrics;

namespace OrleansMq.Grains.Diagnostics;

/// <summary>
/// Consumer lag gauges (meter <see cref="MeterName"/>), fed by <see cref="ConsumerLagCollector"/> with the groups this
/// broker collects; read at collection time from the last published snapshot.
/// </summary>
/// <remarks>Thread-safe: <see cref="Publish"/> swaps an immutable array.</remarks>
internal sealed class ConsumerInstruments : IDisposable
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "OrleansMq.Consumers";

    private readonly Meter _meter;
    private GroupTopicLag[] _latest = [];

    public ConsumerInstruments()
    {
        _meter = new Meter(MeterName);
        _meter.CreateObservableGauge("orleansmq-consumer-lag", () => Observe(static l => l.Lag), "{message}", "Messages of a topic not yet consumed by a consumer group (max offset - committed offset, summed over queues).");
        _meter.CreateObservableGauge("orleansmq-consumer-lag-latency", () => Observe(static l => l.OldestAgeSeconds), "s", "Age of the oldest message of a topic not yet consumed by a consumer group.");
    }

    /// <summary>The last published lags.</summary>
    public IReadOnlyList<GroupTopicLag> Latest => Volatile.Read(ref _latest);

    /// <summary>Replaces the exported lags.</summary>
    public void Publish(GroupTopicLag[] lags) => Volatile.Write(ref _latest, lags);

    public void Dispose() => _meter.Dispose();

    private Measurement<T>[] Observe<T>(Func<GroupTopicLag, T> value)
        where T : struct
    {
        var lags = Volatile.Read(ref _latest);
        var result = new Measurement<T>[lags.Length];
        for (var i = 0; i < lags.Length; i++)
        {
            result[i] = new Measurement<T>(value(lags[i]), new KeyValuePair<string, object?>("group", lags[i].Group), new KeyValuePair<string, object?>("topic", lags[i].Topic));
        }

        return result;
    }
}
