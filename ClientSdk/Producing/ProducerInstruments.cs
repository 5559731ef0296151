using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrleansMq.Client.Producing;

/// <summary>
/// The producers' <see cref="System.Diagnostics.Metrics"/> instruments (meter <see cref="MeterName"/>): messages per
/// batch and each batch's round trip, per topic (Kafka's <c>batch-size</c> and <c>request-latency</c> producer
/// metrics). They show how well sends batch and what one call to a broker costs, which is what
/// <see cref="ProducerOptions.Linger"/>, the queue selection and the in-flight limits tune.
/// </summary>
/// <remarks>
/// Thread-safe. Two histogram records per batch and nothing per message; nothing is recorded unless a listener
/// (OpenTelemetry, <c>dotnet-counters</c>) enabled the instrument. Cardinality: one series per topic sent to.
/// </remarks>
internal static class ProducerInstruments
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "OrleansMq.Client";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram(
        "orleansmq-client-batch-size",
        "{message}",
        "Messages in one batch sent to a queue (one broker call).",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });

    private static readonly Histogram<double> BatchLatency = Meter.CreateHistogram(
        "orleansmq-client-batch-latency",
        "ms",
        "Round trip of one batch: the call to the queue's broker until its answer (the broker's flush included under the sync policy).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] });

    /// <summary>A timestamp to pass to <see cref="BatchAnswered"/>, or 0 when nobody listens.</summary>
    public static long Start() => BatchLatency.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Records a batch of <paramref name="messages"/> to <paramref name="topic"/> whose call began at <paramref name="started"/>.</summary>
    public static void BatchAnswered(string topic, int messages, long started)
    {
        var tag = new KeyValuePair<string, object?>("topic", topic);
        BatchSize.Record(messages, tag);
        if (started != 0)
        {
            BatchLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tag);
        }
    }
}
