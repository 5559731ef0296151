using System.Collections.Concurrent;
using OrleansMq.Grains.Messages;
using OrleansMq.TestKit;

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
    private readonly ConcurrentDictionary<string, (int Appends, TaskCompletionSource Reached)> _holdUntil = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _maxInFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TimeSpan> _resendDelay = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _beside = new(StringComparer.Ordinal);
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

    /// <summary>
    /// Holds each answered append to <paramref name="topic"/> (after the broker stored it) until <paramref name="appends"/>
    /// appends to the topic are in flight at once, or <see cref="Wait.DefaultTimeout"/> has passed: a producer that waits
    /// for each answer before sending its next batch never gets there (the test's own wait for the count fails first).
    /// </summary>
    public void HoldAnswersUntilInFlight(string topic, int appends) =>
        _holdUntil[topic] = (appends, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>
    /// Delays by <paramref name="delay"/> each append to <paramref name="topic"/> that sends again a batch whose response
    /// was dropped, before it leaves: the producer's other batches of the queue meanwhile go on as they would.
    /// </summary>
    public void DelayResends(string topic, TimeSpan delay) => _resendDelay[topic] = delay;

    /// <summary>
    /// The encoded sizes of the appends to <paramref name="topic"/> (held with <see cref="HoldAnswersUntilInFlight"/>)
    /// that left while another append to the topic was in flight.
    /// </summary>
    public IReadOnlyList<int> AppendsBesideAnother(string topic) => _beside.TryGetValue(topic, out var sizes) ? [.. sizes] : [];

    /// <summary>The most appends to <paramref name="topic"/> seen in flight at once.</summary>
    public int MaxInFlight(string topic) => _maxInFlight.GetValueOrDefault(topic);

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (context.MethodName == nameof(IMessageQueueGrain.AppendAsync) && TopicOf(context) is { } held && _holdUntil.TryGetValue(held, out var hold))
        {
            var now = _inFlight.AddOrUpdate(held, 1, (_, n) => n + 1);
            _maxInFlight.AddOrUpdate(held, now, (_, max) => Math.Max(max, now));
            if (now > 1 && context.Request.GetArgument(0) is AppendRequest append)
            {
                _beside.GetOrAdd(held, static _ => new ConcurrentQueue<int>()).Enqueue(append.Batch.Length);
            }

            if (now >= hold.Appends)
            {
                hold.Reached.TrySetResult();
            }

            try
            {
                await context.Invoke();
                await Task.WhenAny(hold.Reached.Task, Task.Delay(Wait.DefaultTimeout));
            }
            finally
            {
                _inFlight.AddOrUpdate(held, 0, (_, n) => n - 1);
            }

            return;
        }

        if (context.MethodName == nameof(IMessageQueueGrain.AppendAsync) && TopicOf(context) is { } target
            && _failing.TryGetValue(target, out var failing) && failing > 0 && _failing.TryUpdate(target, failing - 1, failing))
        {
            throw new Errors.BrokerUnavailableException(context.TargetId.Key.ToString()!.Split('|')[0]);
        }

        if (context.MethodName == nameof(IMessageQueueGrain.AppendAsync) && TopicOf(context) is { } resent && _resendDelay.TryGetValue(resent, out var delay)
            && context.Request.GetArgument(0) is { } again && _droppedRequests.TryGetValue(again, out _))
        {
            await Task.Delay(delay);
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
