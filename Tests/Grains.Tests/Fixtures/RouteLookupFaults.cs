using System.Collections.Concurrent;

namespace OrleansMq.Grains.Tests.Fixtures;

/// <summary>
/// A silo-side fault injector: fails the next route lookups (<see cref="ITopicRouteGrain.GetRouteAsync"/>) of a topic
/// made from inside the silo, as an unreachable route grain would.
/// </summary>
public sealed class RouteLookupFaults : IOutgoingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, int> _armed = new(StringComparer.Ordinal);
    private int _failed;

    /// <summary>Route lookups failed so far.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Fails the next <paramref name="count"/> route lookups of <paramref name="topic"/>.</summary>
    public void FailNext(string topic, int count = 1) => _armed[topic] = count;

    public Task Invoke(IOutgoingGrainCallContext context)
    {
        if (context.MethodName == nameof(ITopicRouteGrain.GetRouteAsync) && context.TargetId.Key.ToString() is { } topic)
        {
            while (_armed.TryGetValue(topic, out var left) && left > 0)
            {
                if (_armed.TryUpdate(topic, left - 1, left))
                {
                    Interlocked.Increment(ref _failed);
                    throw new TimeoutException($"Injected: the route lookup of topic '{topic}' timed out.");
                }
            }
        }

        return context.Invoke();
    }
}
