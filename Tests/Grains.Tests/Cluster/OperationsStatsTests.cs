using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Messages;
using OrleansMq.Grains.Diagnostics;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Tests.Fixtures;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Cluster;

/// <summary>Broker traffic counters, their instruments and the consumer lag collector across three brokers.</summary>
public sealed class OperationsStatsTests(ThreeBrokerCluster fixture) : IClassFixture<ThreeBrokerCluster>
{
    [Fact]
    public async Task GetStatsAsync_CountsMessagesAndBytesInAndOutPerTopicOnEachBroker()
    {
        var topic = TestTopics.Unique("stats");
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 6);
        await using var producer = fixture.Client.CreateProducer(TestProducers.RoundRobin);
        var sends = Enumerable.Range(0, 60).Select(i => producer.SendAsync(new Message(topic, $"stats {i:D2}"))).ToArray();
        var sent = await Wait.ForAsync(Task.WhenAll(sends), $"60 sends to {topic}");

        var consumer = fixture.Client.CreatePullConsumer();
        var pulled = 0;
        foreach (var queue in await consumer.GetQueuesAsync(topic))
        {
            var result = await consumer.PullAsync(queue, 0, maxMessages: 100, wait: TimeSpan.Zero);
            Assert.Equal(PullStatus.Found, result.Status);
            pulled += result.Messages.Count;
        }

        Assert.Equal(60, pulled);
        long messagesIn = 0, messagesOut = 0, bytesIn = 0;
        foreach (var broker in route.Queues.Select(q => q.Broker).Distinct())
        {
            var stats = await fixture.Client.Admin.GetBrokerStatsAsync(broker);
            var traffic = Assert.Single(stats.Topics, t => t.Topic == topic);
            Assert.Equal(sent.Count(s => s.Queue.Broker == broker), traffic.MessagesIn);
            Assert.True(stats.MinFreeDiskBytes > 0);
            Assert.True(stats.SampledAt >= stats.StartedAt);
            messagesIn += traffic.MessagesIn;
            messagesOut += traffic.MessagesOut;
            bytesIn += traffic.BytesIn;
        }

        Assert.Equal(60, messagesIn);
        Assert.Equal(60, messagesOut);
        Assert.True(bytesIn > 60 * "stats 00".Length, $"bytes in {bytesIn}");

        // The same totals are what the meter publishes, with the topic as a tag.
        var observed = ObserveMessagesIn(topic);
        Assert.Equal(60, observed);
    }

    [Fact]
    public async Task ConsumerLagCollector_EachGroupIsCollectedByExactlyOneBroker()
    {
        var topic = TestTopics.Unique("lag-metric");
        var group = TestTopics.Unique("lag-metric-g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 3);
        await using (var producer = fixture.Client.CreateProducer())
        {
            for (var i = 0; i < 9; i++)
            {
                await producer.SendAsync(new Message(topic, $"lag {i}"));
            }
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = fixture.Client.CreatePushConsumer(new PushConsumerOptions { ConsumerGroup = group, ConsumeFrom = Consumers.ConsumeFromWhere.FirstOffset });
        consumer.Subscribe(topic);
        consumer.RegisterMessageListener(async (_, _, ct) =>
        {
            await gate.Task.WaitAsync(ct);
            return ConsumeConcurrentlyStatus.ConsumeSuccess;
        });
        await consumer.StartAsync(TestContext.Current.CancellationToken);
        await Wait.UntilAsync(async () => (await fixture.Client.Admin.GetGroupLagAsync(group)).Sum(q => q.Lag) == 9, $"group {group} to lag 9 behind");

        var reported = new List<(string Silo, GroupTopicLag Lag)>();
        foreach (var silo in fixture.Cluster.Silos)
        {
            var services = fixture.Cluster.GetSiloServiceProvider(silo.SiloAddress);
            await services.GetRequiredService<ConsumerLagCollector>().CollectAsync(TestContext.Current.CancellationToken);
            reported.AddRange(services.GetRequiredService<ConsumerInstruments>().Latest.Where(l => l.Group == group && l.Topic == topic).Select(l => (silo.Name, l)));
        }

        var (_, lag) = Assert.Single(reported);
        Assert.Equal(9, lag.Lag);
        Assert.True(lag.OldestAgeSeconds >= 0);
        gate.SetResult();
    }

    private long ObserveMessagesIn(string topic)
    {
        long total = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MeterNames.Broker && instrument.Name == "orleansmq-broker-messages-in")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "topic" && (string?)tag.Value == topic)
                {
                    total += value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return total;
    }
}
