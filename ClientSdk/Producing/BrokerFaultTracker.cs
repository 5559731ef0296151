using System.Collections.Concurrent;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Client.Producing;

/// <summary>Remembers brokers that failed recently so queue selection skips them for a while (RocketMQ latency fault tolerance).</summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class BrokerFaultTracker(TimeSpan backoff, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, long> _until = new(StringComparer.Ordinal);
    private int _roundRobin;

    // Brokers in _until, kept beside it because every send asks and ConcurrentDictionary.IsEmpty, when it is empty
    // (the usual case), scans every bucket and takes every lock. Only a hint: briefly off while a broker is added and
    // removed at once, after which the dictionary decides.
    private int _count;

    public void MarkFailed(string broker)
    {
        var until = time.GetTimestamp() + (long)(backoff.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            if (_until.TryAdd(broker, until))
            {
                Interlocked.Increment(ref _count);
                return;
            }

            if (_until.TryGetValue(broker, out var previous) && _until.TryUpdate(broker, until, previous))
            {
                return;
            }
        }
    }

    public void MarkHealthy(string broker)
    {
        if (Volatile.Read(ref _count) > 0 && _until.TryRemove(broker, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    public bool IsFaulty(string broker) => Volatile.Read(ref _count) > 0 && _until.TryGetValue(broker, out var until) && time.GetTimestamp() < until;

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
