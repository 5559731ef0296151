using OrleansMq.Client.Messages;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Tests.Fixtures;

namespace OrleansMq.Grains.Tests.Cluster;

public sealed class BadInputTests(NoAutoCreateCluster fixture) : IClassFixture<NoAutoCreateCluster>
{
    [Theory]
    [InlineData("", "empty")]
    [InlineData("has space", "' '")]
    [InlineData("a|b", "'|'")]
    [InlineData("%RETRY%group", "reserved system topic")]
    [InlineData("%DLQ%group", "reserved system topic")]
    [InlineData("SCHEDULE_TOPIC_XXXX", "reserved system topic")]
    public async Task SendAsync_InvalidTopic_RefusedBeforeSending(string topic, string expected)
    {
        await using var producer = fixture.Client.CreateProducer();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => producer.SendAsync(new Message(topic, "x")));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task SendAsync_TopicNameTooLong_RefusedWithTheLimit()
    {
        await using var producer = fixture.Client.CreateProducer();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => producer.SendAsync(new Message(new string('t', 128), "x")));
        Assert.Contains("at most 127", error.Message);
    }

    [Fact]
    public async Task SendAsync_EmptyOrOversizedBody_RefusedWithTheLimit()
    {
        await using var producer = fixture.Client.CreateProducer();
        var empty = await Assert.ThrowsAsync<ArgumentException>(() => producer.SendAsync(new Message("t", ReadOnlyMemory<byte>.Empty)));
        Assert.Contains("empty", empty.Message);
        var large = await Assert.ThrowsAsync<ArgumentException>(() => producer.SendAsync(new Message("t", new byte[4 * 1024 * 1024 + 1])));
        Assert.Contains("4194305 bytes; at most 4194304", large.Message);
    }

    [Fact]
    public async Task SendAsync_ReservedOrOversizedProperties_Refused()
    {
        await using var producer = fixture.Client.CreateProducer();
        var reserved = new Message("t", "x");
        reserved.Properties["UNIQ_KEY"] = "mine";
        Assert.Contains("reserved", (await Assert.ThrowsAsync<ArgumentException>(() => producer.SendAsync(reserved))).Message);

        var large = new Message("t", "x");
        large.Properties["big"] = new string('v', 40_000);
        Assert.Contains("ProducerOptions.MaxPropertiesSize", (await Assert.ThrowsAsync<ArgumentException>(() => producer.SendAsync(large))).Message);
    }

    [Fact]
    public async Task SendAsync_UnknownTopicWithAutoCreateOff_FailsSayingSo()
    {
        await using var producer = fixture.Client.CreateProducer();
        var error = await Assert.ThrowsAsync<TopicNotFoundException>(() => producer.SendAsync(new Message("never-created", "x")));
        Assert.Contains("Auto-create is off", error.Message);
    }

    [Fact]
    public async Task CreateTopic_InvalidQueueCountOrExisting_RefusedWithReason()
    {
        var zero = await Assert.ThrowsAsync<InvalidRequestException>(() => fixture.Client.Admin.CreateTopicAsync("zero-queues", 0));
        Assert.Contains("between 1 and 1024", zero.Message);

        await fixture.Client.Admin.CreateTopicAsync("exists-once", 1);
        await Assert.ThrowsAsync<TopicExistsException>(() => fixture.Client.Admin.CreateTopicAsync("exists-once", 1));
    }

    [Fact]
    public async Task PullAsync_BadTagExpression_RefusedBeforeSendingWithPosition()
    {
        await fixture.Client.Admin.CreateTopicAsync("filters-bad", 1);
        var consumer = fixture.Client.CreatePullConsumer();
        var queue = (await consumer.GetQueuesAsync("filters-bad"))[0];
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            consumer.PullAsync(queue, 0, wait: TimeSpan.Zero, filter: Grains.Messages.FilterExpression.Tags("A || || B")));
        Assert.Contains("an empty tag at position 4", error.Message);
    }
}
