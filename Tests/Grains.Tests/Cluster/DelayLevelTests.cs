using OrleansMq.Client.Messages;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Tests.Fixtures;

namespace OrleansMq.Grains.Tests.Cluster;

/// <summary>The 18 RocketMQ delay levels, on a scheduling clock the test moves (two hours take no real time).</summary>
public sealed class DelayLevelTests(ScheduledCluster fixture) : IClassFixture<ScheduledCluster>
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task EveryDelayLevel_DeliveredWhenDue_NeverBefore()
    {
        var topic = TestTopics.Unique("delay");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await using var producer = fixture.Client.CreateProducer();
        for (var level = 1; level <= DelayLevels.MaxLevel; level++)
        {
            var sent = await producer.SendAsync(new Message(topic, $"level-{level}") { DelayLevel = level });
            Assert.Equal(SendStatus.Ok, sent.Status);
            Assert.Equal(-1, sent.QueueOffset);
        }

        Assert.Equal(0, await MaxOffsetAsync(topic));
        var consumer = fixture.Client.CreatePullConsumer();
        var queue = (await consumer.GetQueuesAsync(topic))[0];
        var elapsed = TimeSpan.Zero;
        for (var level = 1; level <= DelayLevels.MaxLevel; level++)
        {
            var due = DelayLevels.Delay(level);
            await fixture.AdvanceSchedulingTimeAsync(due - Tick - elapsed);
            Assert.True(await MaxOffsetAsync(topic) == level - 1, $"level {level} ({due}) must not be delivered 1 ms before it is due");

            await fixture.AdvanceSchedulingTimeAsync(Tick);
            elapsed = due;
            Assert.True(await MaxOffsetAsync(topic) == level, $"level {level} ({due}) must be delivered when due");
            var delivered = (await consumer.PullAsync(queue, level - 1, 1, TimeSpan.Zero)).Messages.Single();
            Assert.Equal($"level-{level}", delivered.BodyAsString());
            Assert.Null(delivered.GetProperty(PropertyNames.RealTopic));
            Assert.Null(delivered.GetProperty(PropertyNames.DeliverTime));
            Assert.NotNull(delivered.UniqueKey);
        }
    }

    [Fact]
    public async Task DelayLevel_OutOfRange_RefusedWithTheLevels()
    {
        await using var producer = fixture.Client.CreateProducer();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => producer.SendAsync(new Message("delay-bad", "x") { DelayLevel = 19 }));
        Assert.Contains("levels are 1 to 18", error.Message);
    }

    private async Task<long> MaxOffsetAsync(string topic) => (await fixture.Client.Admin.GetTopicOffsetsAsync(topic)).Sum(q => q.MaxOffset);
}
