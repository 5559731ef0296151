using System.Collections.Concurrent;
using OrleansMq.Client.Messages;
using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Messages;

namespace OrleansMq.Client.Consuming.Internal;

/// <summary>What clustering and broadcasting consumption share: the running queues and where a new queue starts.</summary>
internal abstract class ConsumerSession(ConsumeEngine engine, IReadOnlyDictionary<string, FilterExpression> subscriptions) : IAsyncDisposable
{
    protected ConsumeEngine Engine { get; } = engine;

    protected PushConsumerOptions Options => Engine.Options;

    protected IReadOnlyDictionary<string, FilterExpression> Subscriptions { get; } = subscriptions;

    /// <summary>Running queues by (topic, queue id).</summary>
    protected ConcurrentDictionary<(string Topic, int QueueId), QueueConsumer> Queues { get; } = new();

    public IReadOnlyCollection<MessageQueue> AssignedQueues => Queues.Values.Select(q => q.Queue).ToArray();

    public abstract Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Graceful stop: finish cached messages, commit, leave.</summary>
    public abstract ValueTask DisposeAsync();

    /// <summary>Stops everything at once without committing or leaving, as a crashed process would.</summary>
    public abstract Task AbandonAsync();

    protected QueueConsumer StartQueue(MessageQueue queue, long lease, long offset)
    {
        var consumer = Engine.CreateQueue(queue, lease, Subscriptions[queue.Topic]);
        consumer.LastCommitted = offset;
        consumer.Start(offset);
        Queues[(queue.Topic, queue.QueueId)] = consumer;
        return consumer;
    }

    /// <summary>The start of a queue the consumer has no offset for, by <see cref="PushConsumerOptions.ConsumeFrom"/>.</summary>
    protected async Task<long> ResolveStartOffsetAsync(MessageQueue queue, DateTimeOffset started)
    {
        var grain = QueueReader.Grain(Engine.Client, queue);
        switch (Options.ConsumeFrom)
        {
            case ConsumeFromWhere.FirstOffset:
                return (await grain.GetOffsetsAsync()).Min;
            case ConsumeFromWhere.Timestamp:
                var at = Options.ConsumeTimestamp ?? started - TimeSpan.FromMinutes(30);
                return await grain.GetOffsetByTimeAsync(at.ToUnixTimeMilliseconds());
            default:
                return (await grain.GetOffsetsAsync()).Max;
        }
    }

    protected static async Task StopAllAsync(IEnumerable<QueueConsumer> queues, TimeSpan drain)
    {
        await Task.WhenAll(queues.Select(q => q.StopAsync(drain)));
    }
}
