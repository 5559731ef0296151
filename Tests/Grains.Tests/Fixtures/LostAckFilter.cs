using System.Collections.Concurrent;

namespace OrleansMq.Grains.Tests.Fixtures;

/// <summary>
/// A client-side fault injector: lets an append reach the broker and be stored, then throws a
/// <see cref="TimeoutException"/> instead of returning its response, as a lost acknowledgement would. A batch sent
/// again (the same request) is never dropped twice, so one idempotent retry always gets its answer.
/// </summary>
public sealed class LostAckFilter : IOutgoingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, int> _armed = new(StringComparer.Ordinal);
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _droppedRequests = [];
    private int _dropped;

    /// <summary>Responses dropped so far.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>Drops the responses of the next <paramref name="count"/> appends to any queue of <paramref name="topic"/>.</summary>
    public void DropNextResponses(string topic, int count = 1) => _armed[topic] = count;

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        await context.Invoke();
        if (context.MethodName != nameof(IMessageQueueGrain.AppendAsync) || context.TargetId.Key.ToString()?.Split('|') is not [_, var topic, _])
        {
            return;
        }

        var request = context.Request.GetArgument(0);
        while (_armed.TryGetValue(topic, out var left) && left > 0 && request is not null && !_droppedRequests.TryGetValue(request, out _))
        {
            if (_armed.TryUpdate(topic, left - 1, left))
            {
                Interlocked.Increment(ref _dropped);
                _droppedRequests.TryAdd(request, request);
                throw new TimeoutException($"Injected: the append to {context.TargetId} was stored, but its response was lost.");
            }
        }
    }
}
