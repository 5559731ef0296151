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
    private readonly ConcurrentDictionary<string, int> _failing = new(StringComparer.Ordinal);
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _droppedRequests = [];
    private int _dropped;

    /// <summary>Responses dropped so far.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>Drops the responses of the next <paramref name="count"/> appends to any queue of <paramref name="topic"/>.</summary>
    public void DropNextResponses(string topic, int count = 1) => _armed[topic] = count;

    /// <summary>
    /// Fails the next <paramref name="count"/> appends to <paramref name="topic"/> before they are sent, as a broker
    /// that is down would (a definite failure: nothing stored).
    /// </summary>
    public void FailNextAppends(string topic, int count = 1) => _failing[topic] = count;

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (context.MethodName == nameof(IMessageQueueGrain.AppendAsync) && TopicOf(context) is { } target
            && _failing.TryGetValue(target, out var failing) && failing > 0 && _failing.TryUpdate(target, failing - 1, failing))
        {
            throw new Errors.BrokerUnavailableException(context.TargetId.Key.ToString()!.Split('|')[0]);
        }

        await context.Invoke();
        if (context.MethodName != nameof(IMessageQueueGrain.AppendAsync) || TopicOf(context) is not { } topic)
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

    private static string? TopicOf(IOutgoingGrainCallContext context) =>
        context.TargetId.Key.ToString()?.Split('|') is [_, var topic, _] ? topic : null;
}
