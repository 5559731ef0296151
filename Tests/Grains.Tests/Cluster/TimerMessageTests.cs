using OrleansMq.Client.Messages;
using OrleansMq.Client.Producing;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Tests.Fixtures;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Cluster;

/// <summary>Timer messages (any delivery time), on a scheduling clock the test moves.</summary>
public sealed class TimerMessageTests(ScheduledCluster fixture) : IClassFixture<ScheduledCluster>
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    private DateTimeOffset Now => fixture.SchedulingTime!.GetUtcNow();

    [Fact]
    public async Task DeliverAt_ArbitraryTime_DeliveredWhenDueNotBefore()
    {
        var topic = TestTopics.Unique("timer");
        await fixture.Client.Admin.CreateTopicAsync(topic, 2);
        await using var producer = fixture.Client.CreateProducer();
        var delay = new TimeSpan(3, 17, 5);
        var sent = await producer.SendAsync(new Message(topic, "later") { DeliverAt = Now + delay });
        Assert.Equal(-1, sent.QueueOffset);

        await fixture.AdvanceSchedulingTimeAsync(delay - Tick);
        Assert.Equal(0, await TotalAsync(topic));
        await fixture.AdvanceSchedulingTimeAsync(Tick);
        Assert.Equal(1, await TotalAsync(topic));

        var found = await fixture.Client.Admin.FindMessagesByUniqueKeyAsync(topic, sent.UniqueKey);
        Assert.Equal("later", Assert.Single(found).BodyAsString());
    }

    [Fact]
    public async Task DeliverAt_MixedWithPlainSendsAndSeveralBatchesInFlight_PlainOnesStoredInSendOrder()
    {
        // A batch with scheduled messages goes through the timer service; the queue accepts the next batch behind it.
        var topic = TestTopics.Unique("timer-pipe");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await using var producer = fixture.Client.CreateProducer(new ProducerOptions { MaxInFlightBatchesPerQueue = 3, MinPipelinedBatchBytes = 0 });
        await producer.SendAsync(new Message(topic, "route"));
        var sends = new List<Task<SendResult>>();
        for (var i = 0; i < 60; i++)
        {
            sends.Add(producer.SendAsync(i % 3 == 0 ? new Message(topic, $"t{i}") { DeliverAt = Now + TimeSpan.FromHours(1) } : new Message(topic, $"p{i}")));
        }

        var results = await Wait.ForAsync(Task.WhenAll(sends), "60 mixed sends");

        Assert.All(results, r => Assert.Equal(SendStatus.Ok, r.Status));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), results.Where((_, i) => i % 3 != 0).Select(r => r.QueueOffset));
        await fixture.AdvanceSchedulingTimeAsync(TimeSpan.FromHours(1));
        Assert.Equal(61, await TotalAsync(topic));
    }

    [Fact]
    public async Task DeliverAt_PendingAcrossSiloRestart_StillDelivered()
    {
        var topic = TestTopics.Unique("timer-restart");
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await using (var producer = fixture.Client.CreateProducer())
        {
            await producer.SendAsync(new Message(topic, "survivor") { DeliverAt = Now + TimeSpan.FromHours(1) });
        }

        var owner = fixture.Cluster.Silos.Single(s => s.Name == route.Queues[0].Broker);
        await fixture.Cluster.RestartSiloAsync(owner);
        await fixture.Cluster.WaitForLivenessToStabilizeAsync();
        Assert.True(fixture.TimersOf(owner.Name).PendingCount >= 1);

        await fixture.AdvanceSchedulingTimeAsync(TimeSpan.FromHours(1));
        var consumer = fixture.Client.CreatePullConsumer();
        var delivered = await consumer.PullAsync((await consumer.GetQueuesAsync(topic))[0], 0, 10, TimeSpan.Zero);
        Assert.Equal("survivor", Assert.Single(delivered.Messages).BodyAsString());
    }

    [Fact]
    public async Task Cancel_PendingTimer_IsNeverDelivered()
    {
        var topic = TestTopics.Unique("timer-cancel");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await using var producer = fixture.Client.CreateProducer();
        var cancelled = await producer.SendAsync(new Message(topic, "cancelled") { DeliverAt = Now + TimeSpan.FromMinutes(30) });
        await producer.SendAsync(new Message(topic, "kept") { DeliverAt = Now + TimeSpan.FromMinutes(30) });

        Assert.True(await fixture.Client.Admin.CancelScheduledMessageAsync(cancelled.MessageId));
        Assert.False(await fixture.Client.Admin.CancelScheduledMessageAsync(cancelled.MessageId));

        await fixture.AdvanceSchedulingTimeAsync(TimeSpan.FromHours(1));
        var consumer = fixture.Client.CreatePullConsumer();
        var delivered = await consumer.PullAsync((await consumer.GetQueuesAsync(topic))[0], 0, 10, TimeSpan.Zero);
        Assert.Equal("kept", Assert.Single(delivered.Messages).BodyAsString());
        Assert.False(await fixture.Client.Admin.CancelScheduledMessageAsync(cancelled.MessageId));
    }

    [Fact]
    public async Task DeliverAt_BeyondTheMaximumDelay_RefusedWithTheMaximum()
    {
        await using var producer = fixture.Client.CreateProducer();
        var client = await Assert.ThrowsAsync<ArgumentException>(() =>
            producer.SendAsync(new Message("timer-far", "x") { DeliverAt = Now + TimeSpan.FromDays(31) }));
        Assert.Contains("maximum delay of 30.00:00:00", client.Message);

        // A client configured more loosely is still held to the broker's maximum.
        await using var loose = fixture.Client.CreateProducer(new ProducerOptions { MaxDelay = TimeSpan.FromDays(400) });
        var broker = await Assert.ThrowsAsync<MqSendException>(() =>
            loose.SendAsync(new Message("timer-far", "x") { DeliverAt = Now + TimeSpan.FromDays(31) }));
        Assert.Equal(SendStatus.MessageIllegal, broker.Status);
        Assert.Contains("maximum delay of 30.00:00:00", broker.Message);
    }

    [Fact]
    public async Task ManyPendingTimers_AllDeliveredOnceAfterARestart()
    {
        const int count = 20_000;
        var topic = TestTopics.Unique("timer-many");
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 4);
        var start = Now;
        await using (var producer = fixture.Client.CreateProducer())
        {
            await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
                producer.SendAsync(new Message(topic, $"t{i}") { DeliverAt = start + TimeSpan.FromSeconds(1 + (i * 7919 % 3600)) })));
        }

        foreach (var broker in route.Queues.Select(q => q.Broker).Distinct())
        {
            await fixture.Cluster.RestartSiloAsync(fixture.Cluster.Silos.Single(s => s.Name == broker));
        }

        await fixture.Cluster.WaitForLivenessToStabilizeAsync();
        await fixture.AdvanceSchedulingTimeAsync(TimeSpan.FromMinutes(30));
        var half = await TotalAsync(topic);
        Assert.InRange(half, count / 4, count - count / 4);
        await fixture.AdvanceSchedulingTimeAsync(TimeSpan.FromMinutes(31));
        Assert.Equal(count, await TotalAsync(topic));
    }

    [Fact]
    public async Task DeliverAt_RouteLookupFailsWhenDue_RetriedASecondLaterNotStranded()
    {
        var topic = TestTopics.Unique("timer-route-fault");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await using var producer = fixture.Client.CreateProducer();
        await producer.SendAsync(new Message(topic, "later") { DeliverAt = Now + TimeSpan.FromSeconds(5) });
        var failedBefore = fixture.RouteFaults.Failed;
        fixture.RouteFaults.FailNext(topic);

        await fixture.AdvanceSchedulingTimeAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(failedBefore + 1, fixture.RouteFaults.Failed);
        Assert.Equal(0, await TotalAsync(topic));

        await fixture.AdvanceSchedulingTimeAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await TotalAsync(topic));
    }

    private async Task<long> TotalAsync(string topic) => (await fixture.Client.Admin.GetTopicOffsetsAsync(topic)).Sum(q => q.MaxOffset);
}
