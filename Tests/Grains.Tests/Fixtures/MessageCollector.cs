using System.Collections.Concurrent;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Messages;

namespace OrleansMq.Grains.Tests.Fixtures;

/// <summary>Counts deliveries per message body, and who got them; a listener source for push consumer tests.</summary>
public sealed class MessageCollector
{
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly ConcurrentDictionary<string, ConcurrentBag<string>> _byConsumer = new();
    private readonly ConcurrentDictionary<string, ConcurrentBag<string>> _deliveries = new();
    private int _total;

    public int Total => Volatile.Read(ref _total);

    public int Distinct => _counts.Count;

    public IReadOnlyDictionary<string, int> Counts => _counts;

    public IReadOnlyCollection<string> ReceivedBy(string consumer) => _byConsumer.TryGetValue(consumer, out var bag) ? bag : [];

    public void Record(ReceivedMessage message, string consumer)
    {
        var body = message.BodyAsString();
        _counts.AddOrUpdate(body, 1, (_, n) => n + 1);
        _byConsumer.GetOrAdd(consumer, _ => []).Add(body);
        _deliveries.GetOrAdd(body, _ => []).Add($"{consumer}@{message.Queue.QueueId}:{message.QueueOffset}@{DateTime.UtcNow:HH:mm:ss.fff}");
        Interlocked.Increment(ref _total);
    }

    public MessageListenerConcurrently Listener(string consumer) => (messages, context, cancellationToken) =>
    {
        foreach (var message in messages)
        {
            Record(message, consumer);
        }

        return Task.FromResult(ConsumeConcurrentlyStatus.ConsumeSuccess);
    };

    public string Describe() => $"{Distinct} distinct, {Total} deliveries, duplicates: {_counts.Count(p => p.Value > 1)}";

    /// <summary>Every delivery of each duplicated message: consumer, queue, offset and time.</summary>
    public string DescribeDuplicates() => string.Join("\n", _counts.Where(p => p.Value > 1).Take(20)
        .Select(p => $"{p.Key}: {string.Join(" | ", _deliveries[p.Key])}"));
}
