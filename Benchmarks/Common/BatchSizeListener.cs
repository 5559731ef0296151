using System.Diagnostics.Metrics;

namespace OrleansMq.Benchmarks.Common;

/// <summary>
/// Listens to the producer's <c>orleansmq-client-batch-size</c> and <c>orleansmq-client-batch-latency</c> histograms and
/// keeps their means: how many messages the per-batch costs of a workload are spread over (W4's batches against W1's)
/// and how long one batch's round trip takes. A few atomic adds and one timestamp per batch.
/// </summary>
internal sealed class BatchSizeListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _batches;
    private long _messages;
    private long _answered;
    private long _roundTripMicros;

    public BatchSizeListener()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "OrleansMq.Client" && instrument.Name is "orleansmq-client-batch-size" or "orleansmq-client-batch-latency")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, _, _) =>
        {
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _messages, value);
        });
        _listener.SetMeasurementEventCallback<double>((_, milliseconds, _, _) =>
        {
            Interlocked.Increment(ref _answered);
            Interlocked.Add(ref _roundTripMicros, (long)(milliseconds * 1000));
        });
        _listener.Start();
    }

    /// <summary>Messages per batch over the batches answered so far (0 when none).</summary>
    public double Mean => Interlocked.Read(ref _batches) is var n and > 0 ? (double)Interlocked.Read(ref _messages) / n : 0;

    /// <summary>Mean round trip of a batch in milliseconds (0 when none).</summary>
    public double MeanRoundTripMs => Interlocked.Read(ref _answered) is var n and > 0 ? Interlocked.Read(ref _roundTripMicros) / 1000.0 / n : 0;

    public void Dispose() => _listener.Dispose();
}
