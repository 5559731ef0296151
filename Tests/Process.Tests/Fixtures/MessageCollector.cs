using System.Collections.Concurrent;
using OrleansMq.Client.Consuming;

namespace OrleansMq.Process.Tests.Fixtures;

/// <summary>Counts deliveries per message body and who got them; the listener of the push consumers in these tests.</summary>
public sealed class MessageCollector
{
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly ConcurrentDictionary<string, ConcurrentBag<string>> _byConsumer = new();

    /// <summary>Distinct bodies delivered.</summary>
    public int Distinct => _counts.Count;

    /// <summary>Deliveries per body.</summary>
    public IReadOnlyDictionary<string, int> Counts => _counts;

    /// <summary>Bodies delivered to <paramref name="consumer"/>.</summary>
    public IReadOnlyCollection<string> ReceivedBy(string consumer) => _byConsumer.TryGetValue(consumer, out var bag) ? bag : [];

    /// <summary>A listener that records every message as consumed successfully.</summary>
    public MessageListenerConcurrently Listener(string consumer) => (messages, context, cancellationToken) =>
    {
        foreach (var message in messages)
        {
            var body = message.BodyAsString();
            _counts.AddOrUpdate(body, 1, (_, n) => n + 1);
            _byConsumer.GetOrAdd(consumer, _ => []).Add(body);
        }

        return Task.FromResult(ConsumeConcurrentlyStatus.ConsumeSuccess);
    };

    /// <summary>Of <paramref name="expected"/>, the bodies not delivered yet.</summary>
    public List<string> Missing(IEnumerable<string> expected) => expected.Where(b => !_counts.ContainsKey(b)).ToList();

    /// <summary>A summary for timeout messages.</summary>
    public string Describe() => $"{Distinct} distinct delivered, {_counts.Values.Sum()} deliveries";
}
