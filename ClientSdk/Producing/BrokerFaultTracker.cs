using System.Collections.Concurrent;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Client.Producing;

/// <summary>Remembers brokers that failed recently so queue selection skips them for a while (RocketMQ latency fault tolerance).</summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class BrokerFaultTracker(TimeSpan backoff, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, long> _until = new(StringComparer.Ordinal);
    private int _roundRobin;

    public void MarkFailed(string broker) => _until[broker] = time.GetTimestamp() + (long)(backoff.TotalSeconds * time.TimestampFrequency);

    public void MarkHealthy(string broker)
    {
        if (!_until.IsEmpty)
        {
            _until.TryRemove(broker, out _);
        }
    }

    public bool IsFaulty(string broker) => !_until.IsEmpty && _until.TryGetValue(broker, out var until) && time.GetTimestamp() < until;

    /// <summary>Round-robin over the queues, skipping the broker that just failed this message and brokers failing lately.</summary>
    public QueueRoute SelectQueue(TopicRoute route, string? avoid) => SelectQueue(route, avoid, (uint)Interlocked.Increment(ref _roundRobin));

    /// <summary>The first usable queue at or after index <paramref name="start"/> (modulo the queue count), skipping as <see cref="SelectQueue(TopicRoute, string?)"/> does.</summary>
    public QueueRoute SelectQueue(TopicRoute route, string? avoid, uint start)
    {
        var queues = route.Queues;
        for (var i = 0; i < queues.Length; i++)
        {
            var queue = queues[(int)((start + (uint)i) % (uint)queues.Length)];
            if (!string.Equals(queue.Broker, avoid, StringComparison.Ordinal) && !IsFaulty(queue.Broker))
            {
                return queue;
            }
        }

        // Every broker is marked faulty: prefer any other broker than the one that just failed, else any queue.
        for (var i = 0; i < queues.Length; i++)
        {
            var queue = queues[(int)((start + (uint)i) % (uint)queues.Length)];
            if (!string.Equals(queue.Broker, avoid, StringComparison.Ordinal))
            {
                return queue;
            }
        }

        return queues[(int)(start % (uint)queues.Length)];
    }
}
