using System.Collections.Concurrent;

namespace OrleansMq.Client.Producing;

/// <summary>Remembers brokers that failed recently so queue selection skips them for a while (RocketMQ latency fault tolerance).</summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class BrokerFaultTracker(TimeSpan backoff, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, long> _until = new(StringComparer.Ordinal);

    public void MarkFailed(string broker) => _until[broker] = time.GetTimestamp() + (long)(backoff.TotalSeconds * time.TimestampFrequency);

    public void MarkHealthy(string broker)
    {
        if (!_until.IsEmpty)
        {
            _until.TryRemove(broker, out _);
        }
    }

    public bool IsFaulty(string broker) => !_until.IsEmpty && _until.TryGetValue(broker, out var until) && time.GetTimestamp() < until;
}
