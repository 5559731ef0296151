using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OrleansMq.Grains.Brokers;

namespace OrleansMq.Grains.Diagnostics;

/// <summary>
/// The broker's <see cref="System.Diagnostics.Metrics"/> instruments (meter <see cref="MeterName"/>): traffic per
/// topic, pull latency, pending timers and disk space. The store's own instruments (append and flush latency, store
/// size) are on <c>OrleansMq.Storage</c>.
/// </summary>
/// <remarks>
/// Thread-safe. The data path pays one dictionary lookup and two interlocked adds per batch (<see cref="Appended"/>,
/// <see cref="Pulled"/>), plus one histogram record per pull that returned messages; no string is built and nothing
/// is allocated once a topic has been seen. Traffic is exposed as observable counters read at collection time, so
/// the same totals feed Prometheus and <see cref="IBrokerGrain.GetStatsAsync"/> (the console's rates).
/// Cardinality: one series per topic of this broker; a deleted topic's series go with it.
/// </remarks>
internal sealed class BrokerInstruments : IDisposable
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "OrleansMq.Broker";

    private static readonly Func<string, TopicCounters> NewCounters = static topic => new TopicCounters(topic);

    private readonly ConcurrentDictionary<string, TopicCounters> _topics = new(StringComparer.Ordinal);
    private readonly Meter _meter;
    private readonly Histogram<double> _pullLatency;
    private readonly BrokerStore _store;
    private readonly Func<int> _pendingTimers;
    private readonly TimeProvider _time;

    public BrokerInstruments(BrokerStore store, Func<int> pendingTimers, TimeProvider time)
    {
        _store = store;
        _pendingTimers = pendingTimers;
        _time = time;
        StartedAt = time.GetUtcNow();
        _meter = new Meter(MeterName);
        _meter.CreateObservableCounter("orleansmq-broker-messages-in", () => Observe(static c => c.MessagesIn), "{message}", "Messages stored into a topic's queues on this broker (delay and timer messages when delivered).");
        _meter.CreateObservableCounter("orleansmq-broker-bytes-in", () => Observe(static c => c.BytesIn), "By", "Encoded bytes of the batches stored into a topic's queues.");
        _meter.CreateObservableCounter("orleansmq-broker-messages-out", () => Observe(static c => c.MessagesOut), "{message}", "Messages returned by pulls from a topic's queues.");
        _meter.CreateObservableCounter("orleansmq-broker-bytes-out", () => Observe(static c => c.BytesOut), "By", "Record bytes returned by pulls from a topic's queues.");
        _pullLatency = _meter.CreateHistogram(
            "orleansmq-broker-pull-latency",
            "ms",
            "Time to serve a pull that returned messages, long-poll waiting excluded.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _meter.CreateObservableGauge("orleansmq-broker-pending-timers", () => _pendingTimers(), "{message}", "Delay and timer messages waiting for their time.");
        _meter.CreateObservableGauge("orleansmq-broker-disk-free", () => DiskMeasurements(static s => s.DiskFreeBytes), "By", "Free bytes of the disk holding the store.");
        _meter.CreateObservableGauge("orleansmq-broker-disk-total", () => DiskMeasurements(static s => s.DiskTotalBytes), "By", "Size of the disk holding the store.");
        _meter.CreateObservableGauge("orleansmq-broker-disk-min-free", () => DiskMeasurements(_ => store.TryGetStore()?.Options.MinFreeDiskBytes ?? 0), "By", "Free space below which the broker refuses sends (the disk watermark).");
        _meter.CreateObservableGauge("orleansmq-broker-disk-full", () => DiskMeasurements(static s => s.IsDiskFull ? 1 : 0), null, "1 while sends are refused for lack of disk space.");
    }

    /// <summary>Histogram bounds in ms: sub-millisecond reads through slow disks (the OpenTelemetry default starts at 5 ms).</summary>
    public static IReadOnlyList<double> LatencyBuckets { get; } = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500];

    /// <summary>When this broker's instruments were created (the broker's start).</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>The broker's clock now.</summary>
    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>The instruments of the silo that owns <paramref name="services"/>.</summary>
    public static BrokerInstruments Of(IServiceProvider services) => services.GetRequiredService<BrokerInstruments>();

    /// <summary>Records a stored batch.</summary>
    public void Appended(string topic, int messages, int bytes) => _topics.GetOrAdd(topic, NewCounters).AddIn(messages, bytes);

    /// <summary>Records a pull that returned messages and the time spent serving it.</summary>
    public void Pulled(string topic, int messages, int bytes, TimeSpan serviceTime)
    {
        _topics.GetOrAdd(topic, NewCounters).AddOut(messages, bytes);
        _pullLatency.Record(serviceTime.TotalMilliseconds);
    }

    /// <summary>Forgets a deleted topic, so its series disappear.</summary>
    public void RemoveTopic(string topic) => _topics.TryRemove(topic, out _);

    /// <summary>Totals per topic, sorted by topic.</summary>
    public TopicTraffic[] Snapshot()
    {
        var result = new List<TopicTraffic>(_topics.Count);
        foreach (var counters in _topics.Values)
        {
            result.Add(new TopicTraffic(counters.Topic, counters.MessagesIn, counters.BytesIn, counters.MessagesOut, counters.BytesOut));
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.Topic, b.Topic));
        return [.. result];
    }

    public void Dispose() => _meter.Dispose();

    private List<Measurement<long>> Observe(Func<TopicCounters, long> value)
    {
        var result = new List<Measurement<long>>(_topics.Count);
        foreach (var counters in _topics.Values)
        {
            result.Add(new Measurement<long>(value(counters), new KeyValuePair<string, object?>("topic", counters.Topic)));
        }

        return result;
    }

    private Measurement<long>[] DiskMeasurements(Func<Storage.StoreStatus, long> value) =>
        _store.TryGetStore() is { } store ? [new Measurement<long>(value(store.GetStatus()))] : [];
}
