using System.Collections.Concurrent;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Messages;
using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Naming;
using OrleansMq.Grains.Tests.Fixtures;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Cluster;

/// <summary>Ordered messages: a sharding key pins messages to a queue; orderly consumers keep queue order.</summary>
public sealed class OrderedMessageTests(ScheduledCluster fixture) : IClassFixture<ScheduledCluster>, IAsyncDisposable
{
    private readonly List<PushConsumer> _consumers = [];

    private async Task SendOrderedAsync(string topic, string[] keys, int perKey, ConcurrentDictionary<string, int>? queues = null)
    {
        await using var producer = fixture.Client.CreateProducer();
        for (var i = 0; i < perKey; i++)
        {
            foreach (var key in keys)
            {
                var sent = await producer.SendAsync(new Message(topic, $"{key}:{i}") { ShardingKey = key });
                queues?.AddOrUpdate(key, sent.Queue.QueueId, (_, existing) => existing == sent.Queue.QueueId ? existing : -1);
            }
        }
    }

    private async Task StartOrderlyAsync(string group, string topic, MessageListenerOrderly listener, int maxReconsumeTimes = -1)
    {
        for (var i = 0; i < 2; i++)
        {
            var consumer = fixture.Client.CreatePushConsumer(new PushConsumerOptions
            {
                ConsumerGroup = group,
                InstanceName = $"orderly-{i}",
                ConsumeFrom = ConsumeFromWhere.FirstOffset,
                SuspendCurrentQueueTime = TimeSpan.FromMilliseconds(20),
                MaxReconsumeTimes = maxReconsumeTimes,
            });
            consumer.Subscribe(topic);
            consumer.RegisterMessageListener(listener);
            await consumer.StartAsync();
            _consumers.Add(consumer);
        }
    }

    [Fact]
    public async Task ShardingKey_OrderKeptPerKey_FailingMessageRetriedInPlace()
    {
        var topic = TestTopics.Unique("ordered");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 4);
        string[] keys = ["order-A", "order-B", "order-C"];
        var queues = new ConcurrentDictionary<string, int>();
        await SendOrderedAsync(topic, keys, 40, queues);
        Assert.All(keys, k => Assert.True(queues[k] >= 0, $"every message of {k} must go to one queue"));

        var consumed = new ConcurrentDictionary<string, List<int>>();
        var failures = 0;
        await StartOrderlyAsync(group, topic, (messages, context, ct) =>
        {
            var (key, index) = Parse(messages[0].BodyAsString());
            if (key == "order-B" && index == 10 && Interlocked.Increment(ref failures) <= 2)
            {
                return Task.FromResult(ConsumeOrderlyStatus.SuspendCurrentQueueAMoment);
            }

            var list = consumed.GetOrAdd(key, _ => []);
            lock (list)
            {
                list.Add(index);
            }

            return Task.FromResult(ConsumeOrderlyStatus.Success);
        });

        await Wait.UntilAsync(() => consumed.Values.Sum(l => l.Count) == 120, "120 ordered messages consumed", observed: () => $"{consumed.Values.Sum(l => l.Count)}");
        Assert.Equal(3, failures);
        Assert.All(keys, k => Assert.Equal(Enumerable.Range(0, 40), consumed[k]));
    }

    [Fact]
    public async Task Orderly_MessageFailingBeyondTheMaximum_GoesToDeadLetterAndTheQueueMovesOn()
    {
        var topic = TestTopics.Unique("ordered-dlq");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await SendOrderedAsync(topic, ["only"], 10);
        var consumed = new List<int>();
        var attempts = 0;
        await StartOrderlyAsync(group, topic, (messages, context, ct) =>
        {
            var (_, index) = Parse(messages[0].BodyAsString());
            if (index == 4)
            {
                Interlocked.Increment(ref attempts);
                return Task.FromResult(ConsumeOrderlyStatus.SuspendCurrentQueueAMoment);
            }

            lock (consumed)
            {
                consumed.Add(index);
            }

            return Task.FromResult(ConsumeOrderlyStatus.Success);
        }, maxReconsumeTimes: 2);

        await Wait.UntilAsync(() => consumed.Count == 9, "the 9 healthy messages consumed in order past the poison one", observed: () => string.Join(",", consumed));
        Assert.Equal([0, 1, 2, 3, 5, 6, 7, 8, 9], consumed);
        Assert.Equal(3, attempts); // first try + 2 reconsumes
        var dlq = SystemTopics.DeadLetter(group);
        var puller = fixture.Client.CreatePullConsumer();
        var dead = (await puller.PullAsync((await puller.GetQueuesAsync(dlq))[0], 0, 10, TimeSpan.Zero)).Messages.Single();
        Assert.Equal("only:4", dead.BodyAsString());
    }

    private static (string Key, int Index) Parse(string body)
    {
        var colon = body.LastIndexOf(':');
        return (body[..colon], int.Parse(body[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var consumer in _consumers)
        {
            await consumer.DisposeAsync();
        }
    }
}
