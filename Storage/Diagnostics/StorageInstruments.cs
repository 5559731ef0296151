using System.Diagnostics.Metrics;

namespace OrleansMq.Storage.Diagnostics;

/// <summary>
/// The store's <see cref="System.Diagnostics.Metrics"/> instruments (meter <see cref="MeterName"/>), one set per store.
/// </summary>
/// <remarks>Thread-safe. Recorded per batch or per flush, never per message. Disposed with the store.</remarks>
internal sealed class StorageInstruments : IDisposable
{
    /// <summary>Name of the meter every store publishes on.</summary>
    public const string MeterName = "OrleansMq.Storage";

    private readonly Meter _meter;
    private readonly Counter<long> _appendedBytes;
    private readonly Counter<long> _appendedMessages;
    private readonly Histogram<double> _appendLatency;
    private readonly Histogram<double> _flushLatency;
    private readonly Histogram<long> _flushBatchSize;
    private long _diskUsedBytes;
    private long _storeBytes;

    internal StorageInstruments(string directory)
    {
        _meter = new Meter(MeterName, null, [new KeyValuePair<string, object?>("orleansmq.store.directory", directory)]);
        _appendedBytes = _meter.CreateCounter<long>("orleansmq-storage-appended-bytes", "By", "Bytes appended to the commit log (records, headers included).");
        _appendedMessages = _meter.CreateCounter<long>("orleansmq-storage-appended-messages", "{message}", "Messages appended to the commit log.");
        _appendLatency = _meter.CreateHistogram<double>("orleansmq-storage-append-latency", "ms", "Time from AppendAsync to its acknowledgement (flush included under the sync policy).");
        _flushLatency = _meter.CreateHistogram<double>("orleansmq-storage-flush-latency", "ms", "Duration of one fdatasync of the commit log.");
        _flushBatchSize = _meter.CreateHistogram<long>("orleansmq-storage-flush-batch-size", "By", "Bytes made durable by one fdatasync (group commit size).");
        _meter.CreateObservableGauge("orleansmq-storage-disk-usage", () => Volatile.Read(ref _diskUsedBytes), "By", "Used bytes of the disk holding the store (at the last disk check).");
        _meter.CreateObservableGauge("orleansmq-storage-store-size", () => Volatile.Read(ref _storeBytes), "By", "Bytes of commit log segments on disk.");
    }

    internal void Appended(long bytes, long messages)
    {
        _appendedBytes.Add(bytes);
        _appendedMessages.Add(messages);
    }

    internal void AppendCompleted(TimeSpan latency) => _appendLatency.Record(latency.TotalMilliseconds);

    internal void Flushed(TimeSpan latency, long bytes)
    {
        _flushLatency.Record(latency.TotalMilliseconds);
        _flushBatchSize.Record(bytes);
    }

    internal void DiskChecked(long diskUsedBytes, long storeBytes)
    {
        Volatile.Write(ref _diskUsedBytes, diskUsedBytes);
        Volatile.Write(ref _storeBytes, storeBytes);
    }

    public void Dispose() => _meter.Dispose();
}
