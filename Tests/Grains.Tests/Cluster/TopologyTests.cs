using OrleansMq.Client.Messages;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Routing;
using OrleansMq.Grains.Tests.Fixtures;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Cluster;

/// <summary>Tests that change the cluster or a topic's shape; they get their own cluster.</summary>
public sealed class TopologyTests(ThreeBrokerCluster fixture) : IClassFixture<ThreeBrokerCluster>
{
    [Fact]
    public async Task RestartSilo_MessagesOnItsLog_AreRecoveredAndServedAgain()
    {
        var topic = TestTopics.Unique("restart");
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 6);
        await using (var producer = fixture.Client.CreateProducer(TestProducers.RoundRobin))
        {
            await Task.WhenAll(Enumerable.Range(0, 300).Select(i => producer.SendAsync(new Message(topic, $"before-{i}"))));
        }

        var victim = fixture.Cluster.Silos.First(s => route.Queues.Any(q => q.Broker == s.Name));
        var victimQueues = route.Queues.Where(q => q.Broker == victim.Name).ToArray();
        var restarted = await fixture.Cluster.RestartSiloAsync(victim);
        await fixture.Cluster.WaitForLivenessToStabilizeAsync();
        Assert.Equal(victim.Name, restarted!.Name);

        var consumer = fixture.Client.CreatePullConsumer();
        foreach (var queue in victimQueues)
        {
            var mq = new MessageQueue(topic, queue.Broker, queue.QueueId);
            var pulled = await consumer.PullAsync(mq, 0, 1000, TimeSpan.Zero);
            Assert.Equal(PullStatus.Found, pulled.Status);
            Assert.Equal(50, pulled.Messages.Count);
            Assert.All(pulled.Messages, m => Assert.StartsWith("before-", m.BodyAsString()));
        }

        // Served again: new appends continue the offsets of the recovered queues.
        await using (var producer = fixture.Client.CreateProducer(TestProducers.RoundRobin))
        {
            var results = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => producer.SendAsync(new Message(topic, $"after-{i}"))));
            Assert.All(results.Where(r => r.Queue.Broker == victim.Name), r => Assert.InRange(r.QueueOffset, 50, 59));
        }
    }

    [Fact]
    public async Task UpdateTopic_GrowFromFourToEightQueues_ProducersUseTheNewQueues()
    {
        var topic = TestTopics.Unique("grow");
        await fixture.Client.Admin.CreateTopicAsync(topic, 4);
        await using var producer = fixture.Client.CreateProducer(TestProducers.RoundRobin);
        var before = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => producer.SendAsync(new Message(topic, $"a{i}"))));
        Assert.All(before, r => Assert.InRange(r.Queue.QueueId, 0, 3));

        var grown = new TaskCompletionSource<TopicRoute>(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Client.Routes.RouteChanged += (t, route) =>
        {
            if (t == topic && route?.Queues.Length == 8)
            {
                grown.TrySetResult(route);
            }
        };
        var updated = await fixture.Client.Admin.UpdateTopicAsync(topic, 8);
        Assert.Equal(8, updated.Queues.Length);
        Assert.Equal(3, updated.Queues.Select(q => q.Broker).Distinct().Count());
        await Wait.ForAsync(grown.Task, "the producer's route cache to be told about 8 queues");

        var after = await Task.WhenAll(Enumerable.Range(0, 80).Select(i => producer.SendAsync(new Message(topic, $"b{i}"))));
        var used = after.Select(r => r.Queue.QueueId).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 8).ToHashSet(), used);
    }

    [Fact]
    public async Task UpdateTopic_Shrink_IsRefusedWithTheCurrentCount()
    {
        var topic = TestTopics.Unique("shrink");
        await fixture.Client.Admin.CreateTopicAsync(topic, 4);
        var error = await Assert.ThrowsAsync<Errors.InvalidRequestException>(() => fixture.Client.Admin.UpdateTopicAsync(topic, 2));
        Assert.Contains("has 4 queues", error.Message);
    }

    [Fact]
    public async Task UpdateTopic_ReadOnly_RefusesSendsButServesPulls()
    {
        var topic = TestTopics.Unique("readonly");
        await fixture.Client.Admin.CreateTopicAsync(topic, 2);
        await using var producer = fixture.Client.CreateProducer();
        await producer.SendAsync(new Message(topic, "stored"));

        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Client.Routes.RouteChanged += (t, route) =>
        {
            if (t == topic && route is { IsWritable: false })
            {
                changed.TrySetResult();
            }
        };
        await fixture.Client.Admin.UpdateTopicAsync(topic, 2, TopicPermission.Read);
        await Wait.ForAsync(changed.Task, "the route change to read-only to reach the client");

        var refused = await Assert.ThrowsAsync<MqSendException>(() => producer.SendAsync(new Message(topic, "refused")));
        Assert.Equal(SendStatus.NoPermission, refused.Status);
        var offsets = await fixture.Client.Admin.GetTopicOffsetsAsync(topic);
        Assert.Equal(1, offsets.Sum(q => q.MaxOffset));
    }

    [Fact]
    public async Task DeleteTopic_RemovesRouteAndQueues()
    {
        var topic = TestTopics.Unique("delete");
        await fixture.Client.Admin.CreateTopicAsync(topic, 3);
        await using (var producer = fixture.Client.CreateProducer())
        {
            await producer.SendAsync(new Message(topic, "x"));
        }

        Assert.Contains(topic, await fixture.Client.Admin.ListTopicsAsync());
        Assert.True(await fixture.Client.Admin.DeleteTopicAsync(topic));
        Assert.Null(await fixture.Client.Admin.GetRouteAsync(topic));
        Assert.DoesNotContain(topic, await fixture.Client.Admin.ListTopicsAsync());
        foreach (var silo in fixture.Cluster.Silos)
        {
            Assert.DoesNotContain(fixture.StoreOf(silo.Name).Store.ListQueues(), q => q.Topic == topic);
        }

        Assert.False(await fixture.Client.Admin.DeleteTopicAsync(topic));
    }

    [Fact]
    public async Task CommittedOffsets_SurviveRestartOfEverySilo()
    {
        var topic = TestTopics.Unique("offsets-restart");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 4);
        await using (var producer = fixture.Client.CreateProducer())
        {
            await Task.WhenAll(Enumerable.Range(0, 100).Select(i => producer.SendAsync(new Message(topic, $"old-{i}"))));
        }

        var collector = new MessageCollector();
        var consumer = fixture.Client.CreatePushConsumer(new Client.Consuming.PushConsumerOptions
        {
            ConsumerGroup = group,
            ConsumeFrom = Consumers.ConsumeFromWhere.FirstOffset,
        });
        consumer.Subscribe(topic);
        consumer.RegisterMessageListener(collector.Listener("before"));
        await consumer.StartAsync();
        await Wait.UntilAsync(() => collector.Distinct == 100, "100 messages consumed before the restart", observed: collector.Describe);
        await consumer.DisposeAsync(); // commits final offsets
        var before = await Task.WhenAll(Enumerable.Range(0, 4).Select(q => fixture.Client.Admin.GetGroupOffsetAsync(group, topic, q)));
        Assert.Equal(100, before.Sum());

        foreach (var silo in fixture.Cluster.Silos.ToList())
        {
            await fixture.Cluster.RestartSiloAsync(silo);
        }

        await fixture.Cluster.WaitForLivenessToStabilizeAsync();
        var after = await Task.WhenAll(Enumerable.Range(0, 4).Select(q => fixture.Client.Admin.GetGroupOffsetAsync(group, topic, q)));
        Assert.Equal(before, after);

        // A new member starts from the committed offsets: only new messages arrive.
        await using (var producer = fixture.Client.CreateProducer())
        {
            await Task.WhenAll(Enumerable.Range(0, 10).Select(i => producer.SendAsync(new Message(topic, $"new-{i}"))));
        }

        var again = new MessageCollector();
        await using var resumed = fixture.Client.CreatePushConsumer(new Client.Consuming.PushConsumerOptions
        {
            ConsumerGroup = group,
            ConsumeFrom = Consumers.ConsumeFromWhere.FirstOffset,
        });
        resumed.Subscribe(topic);
        resumed.RegisterMessageListener(again.Listener("after"));
        await resumed.StartAsync();
        await Wait.UntilAsync(() => again.Distinct == 10, "the 10 new messages after the restart", observed: again.Describe);
        Assert.All(again.Counts.Keys, body => Assert.StartsWith("new-", body));
    }

    [Fact]
    public async Task ListBrokers_ShowsEveryBrokerAliveWithItsStore()
    {
        var brokers = await fixture.Client.Admin.ListBrokersAsync();
        Assert.Equal(fixture.Cluster.Silos.Select(s => s.Name).Order(), brokers.Where(b => b.IsAlive).Select(b => b.Name).Order());
        foreach (var broker in brokers.Where(b => b.IsAlive))
        {
            var status = await fixture.Client.Admin.GetBrokerStatusAsync(broker.Name);
            Assert.Equal(broker.StoreId, status.StoreId);
        }
    }
}
