using System.Collections.Concurrent;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Messages;
using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Naming;
using OrleansMq.Grains.Tests.Fixtures;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Cluster;

/// <summary>Failed consumption: retry topic with growing delays, then the dead-letter topic; on a moved scheduling clock.</summary>
public sealed class RetryAndDeadLetterTests(ScheduledCluster fixture) : IClassFixture<ScheduledCluster>
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    private sealed record Delivery(string Topic, string StoredTopic, int ReconsumeTimes, string Body);

    private async Task<PushConsumer> StartFailingConsumerAsync(string group, string topic, ConcurrentQueue<Delivery> deliveries, Func<ReceivedMessage, bool> fails, int maxReconsumeTimes = -1)
    {
        var consumer = fixture.Client.CreatePushConsumer(new PushConsumerOptions
        {
            ConsumerGroup = group,
            ConsumeFrom = ConsumeFromWhere.FirstOffset,
            MaxReconsumeTimes = maxReconsumeTimes,
            LongPollWait = TimeSpan.FromSeconds(2),
        });
        consumer.Subscribe(topic);
        consumer.RegisterMessageListener((messages, context, ct) =>
        {
            var message = messages[0];
            deliveries.Enqueue(new Delivery(message.Topic, message.StoredTopic, message.ReconsumeTimes, message.BodyAsString()));
            return Task.FromResult(fails(message) ? ConsumeConcurrentlyStatus.ReconsumeLater : ConsumeConcurrentlyStatus.ConsumeSuccess);
        });
        await consumer.StartAsync();
        return consumer;
    }

    private async Task<long> TotalAsync(string topic) =>
        await fixture.Client.Admin.GetRouteAsync(topic) is null ? 0 : (await fixture.Client.Admin.GetTopicOffsetsAsync(topic)).Sum(q => q.MaxOffset);

    private int PendingTimers() => fixture.Cluster.Silos.Sum(s => fixture.TimersOf(s.Name).PendingCount);

    private string Describe(string group, int deliveries)
    {
        var retry = SystemTopics.Retry(group);
        var route = fixture.Client.Admin.GetRouteAsync(retry).Result;
        var offsets = route is null ? "no retry topic" : string.Join(",", fixture.Client.Admin.GetTopicOffsetsAsync(retry).Result.Select(q => $"{q.QueueId}:{q.MinOffset}-{q.MaxOffset}"));
        var description = fixture.Client.Admin.DescribeGroupAsync(group).Result;
        var timers = string.Join(",", fixture.Cluster.Silos.Select(s => $"{s.Name}:{fixture.TimersOf(s.Name).PendingCount}"));
        return $"{deliveries} deliveries; retry topic {offsets}; members {string.Join(" ", description.Members.Select(m => string.Join("+", m.Queues)))}; pending timers {timers}";
    }

    [Fact]
    public async Task FailingMessage_SixteenDelayedRetries_ThenDeadLetterWithTheReconsumeCount()
    {
        var topic = TestTopics.Unique("retry");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var deliveries = new ConcurrentQueue<Delivery>();
        await using var consumer = await StartFailingConsumerAsync(group, topic, deliveries, _ => true);
        await using (var producer = fixture.Client.CreateProducer())
        {
            await producer.SendAsync(new Message(topic, "poison"));
        }

        for (var attempt = 0; attempt <= 16; attempt++)
        {
            await Wait.UntilAsync(() => deliveries.Count == attempt + 1, $"delivery {attempt + 1} of the failing message", observed: () => Describe(group, deliveries.Count));
            if (attempt == 16)
            {
                break;
            }

            // The consumer sends the failed message back asynchronously; its retry delay starts when it is parked.
            await Wait.UntilAsync(() => PendingTimers() == 1, $"the failed message to be parked for retry {attempt + 1}", observed: () => Describe(group, deliveries.Count));

            // Retry n waits for delay level 3 + n: not a millisecond early.
            var delay = DelayLevels.Delay(DelayLevels.ForRetry(attempt));
            await fixture.AdvanceSchedulingTimeAsync(delay - Tick);
            Assert.True(await TotalAsync(SystemTopics.Retry(group)) == attempt, $"retry {attempt + 1} ({delay}) must not be delivered early");
            await fixture.AdvanceSchedulingTimeAsync(Tick);
        }

        Assert.Equal(Enumerable.Range(0, 17), deliveries.Select(d => d.ReconsumeTimes));
        Assert.All(deliveries, d => Assert.Equal(topic, d.Topic));
        Assert.All(deliveries.Skip(1), d => Assert.Equal(SystemTopics.Retry(group), d.StoredTopic));

        var dlq = SystemTopics.DeadLetter(group);
        await Wait.UntilAsync(async () => await TotalAsync(dlq) == 1, "the message in the dead-letter topic");
        var puller = fixture.Client.CreatePullConsumer();
        var dead = (await puller.PullAsync((await puller.GetQueuesAsync(dlq))[0], 0, 10, TimeSpan.Zero)).Messages.Single();
        Assert.Equal("poison", dead.BodyAsString());
        Assert.Equal(17, dead.ReconsumeTimes);
        Assert.Equal(topic, dead.GetProperty(PropertyNames.RetryTopic));
        Assert.NotNull(dead.OriginMessageId);
        Assert.Equal(17, deliveries.Count);
    }

    [Fact]
    public async Task DeadLetter_Resend_DeliveredAgainOnTheOriginalTopic()
    {
        var topic = TestTopics.Unique("dlq-resend");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 2);
        var deliveries = new ConcurrentQueue<Delivery>();
        var failing = true;
        await using var consumer = await StartFailingConsumerAsync(group, topic, deliveries, _ => Volatile.Read(ref failing), maxReconsumeTimes: 1);
        await using (var producer = fixture.Client.CreateProducer())
        {
            await producer.SendAsync(new Message(topic, "second chance"));
        }

        await Wait.UntilAsync(() => deliveries.Count == 1, "the first, failing delivery");
        await Wait.UntilAsync(() => PendingTimers() == 1, "the failed message to be parked for retry");
        await fixture.AdvanceSchedulingTimeAsync(DelayLevels.Delay(3));
        var dlq = SystemTopics.DeadLetter(group);
        await Wait.UntilAsync(async () => await TotalAsync(dlq) == 1, "the message in the dead-letter topic after one retry");

        Volatile.Write(ref failing, false);
        var puller = fixture.Client.CreatePullConsumer();
        var dead = (await puller.PullAsync((await puller.GetQueuesAsync(dlq))[0], 0, 10, TimeSpan.Zero)).Messages.Single();
        var resent = await fixture.Client.Admin.ResendDeadLetterAsync(dead.MessageId);
        Assert.Equal(topic, resent.Topic);

        await Wait.UntilAsync(() => deliveries.Count == 3, "the resent message consumed from the original topic");
        var last = deliveries.Last();
        Assert.Equal(("second chance", topic, topic, 0), (last.Body, last.Topic, last.StoredTopic, last.ReconsumeTimes));

        // Only dead-lettered messages can be resent: the original, never dead-lettered, is refused.
        var original = (await fixture.Client.Admin.FindMessagesByUniqueKeyAsync(topic, dead.UniqueKey!)).First(m => m.StoredTopic == topic);
        await Assert.ThrowsAsync<Errors.InvalidRequestException>(() => fixture.Client.Admin.ResendDeadLetterAsync(original.MessageId));
    }
}
