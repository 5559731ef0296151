using OrleansMq.Client.Messages;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Tests.Fixtures;
using OrleansMq.Storage.Codec;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Cluster;

/// <summary>Every way to look messages up: by message id, unique key, key, and time range of a queue or topic.</summary>
public sealed class MessageQueryTests(ThreeBrokerCluster fixture) : IClassFixture<ThreeBrokerCluster>
{
    [Fact]
    public async Task FindMessageById_StoredMessage_FoundWithItsContent_UnknownAndMalformedIdsNot()
    {
        var topic = TestTopics.Unique("q-id");
        await fixture.Client.Admin.CreateTopicAsync(topic, 3);
        await using var producer = fixture.Client.CreateProducer();
        var message = new Message(topic, "by-id") { Tag = "T" };
        message.Properties["region"] = "eu";
        var sent = await producer.SendAsync(message);

        var found = await fixture.Client.Admin.FindMessageByIdAsync(sent.MessageId);

        Assert.NotNull(found);
        Assert.Equal((sent.MessageId, topic, sent.Queue, sent.QueueOffset), (found.MessageId, found.Topic, found.Queue, found.QueueOffset));
        Assert.Equal(("by-id", "T", "eu", sent.UniqueKey), (found.BodyAsString(), found.Tag, found.Properties["region"], found.UniqueKey));
        Assert.True(MessageId.TryParse(sent.MessageId, out var id));
        Assert.Null(await fixture.Client.Admin.FindMessageByIdAsync(new MessageId(id.StoreId, id.LogOffset + 1).ToString())); // not a record start
        Assert.Null(await fixture.Client.Admin.FindMessageByIdAsync(new MessageId(id.StoreId ^ 0x5A5A, id.LogOffset).ToString())); // no such broker
        var malformed = await Assert.ThrowsAsync<ArgumentException>(() => fixture.Client.Admin.FindMessageByIdAsync("xyz"));
        Assert.Contains("32 hexadecimal digits", malformed.Message);
    }

    [Fact]
    public async Task FindMessagesByUniqueKey_FindsItsMessage_InThatTopicOnly()
    {
        var topic = TestTopics.Unique("q-uniq");
        var other = TestTopics.Unique("q-uniq-other");
        await fixture.Client.Admin.CreateTopicAsync(topic, 3);
        await fixture.Client.Admin.CreateTopicAsync(other, 1);
        await using var producer = fixture.Client.CreateProducer();
        var sent = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => producer.SendAsync(new Message(topic, $"u{i}"))));

        foreach (var result in sent)
        {
            var found = Assert.Single(await fixture.Client.Admin.FindMessagesByUniqueKeyAsync(topic, result.UniqueKey));
            Assert.Equal(result.MessageId, found.MessageId);
        }

        Assert.Empty(await fixture.Client.Admin.FindMessagesByUniqueKeyAsync(other, sent[0].UniqueKey));
        Assert.Empty(await fixture.Client.Admin.FindMessagesByUniqueKeyAsync(topic, "0000000000000000FFFFFFFFFFFFFFFF"));
    }

    [Fact]
    public async Task FindMessagesByKey_NewestFirst_LimitedToMaxResultsAndTheTimeRange()
    {
        var topic = TestTopics.Unique("q-key");
        await fixture.Client.Admin.CreateTopicAsync(topic, 3);
        await using var producer = fixture.Client.CreateProducer();
        var early = await SendPhaseAsync(producer, topic, "early", 3, "order-7");
        var late = await SendPhaseAsync(producer, topic, "late", 3, "order-7");
        await producer.SendAsync(new Message(topic, "unrelated") { Keys = { "order-8" } });

        var all = await fixture.Client.Admin.FindMessagesByKeyAsync(topic, "order-7");
        Assert.Equal(6, all.Count);
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.StoreTimestamp >= p.Second.StoreTimestamp), "newest first");
        var newest = await fixture.Client.Admin.FindMessagesByKeyAsync(topic, "order-7", maxResults: 3);
        Assert.Equal(late.Select(m => m.UniqueKey).Order(), newest.Select(m => m.UniqueKey).Order());
        var window = await fixture.Client.Admin.FindMessagesByKeyAsync(topic, "order-7", 32, Time(early.Min(m => m.StoreTimestamp)), Time(early.Max(m => m.StoreTimestamp)));
        Assert.Equal(early.Select(m => m.UniqueKey).Order(), window.Select(m => m.UniqueKey).Order());
        Assert.Empty(await fixture.Client.Admin.FindMessagesByKeyAsync(topic, "order-9"));
    }

    [Fact]
    public async Task FindMessagesByTime_OneQueue_ReturnsExactlyTheMessagesStoredInTheRange_OldestFirst()
    {
        var topic = TestTopics.Unique("q-time");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await using var producer = fixture.Client.CreateProducer();
        var before = await SendPhaseAsync(producer, topic, "a", 3);
        var during = await SendPhaseAsync(producer, topic, "b", 5);
        var after = await SendPhaseAsync(producer, topic, "c", 2);
        var queue = during[0].Queue;

        var found = await fixture.Client.Admin.FindMessagesByTimeAsync(queue, Time(during.Min(m => m.StoreTimestamp)), Time(during.Max(m => m.StoreTimestamp)));

        Assert.Equal(during.Select(m => m.BodyAsString()), found.Select(m => m.BodyAsString()));
        Assert.Equal(during.Select(m => m.QueueOffset), found.Select(m => m.QueueOffset));
        var firstFour = await fixture.Client.Admin.FindMessagesByTimeAsync(queue, Time(before[0].StoreTimestamp), Time(after[^1].StoreTimestamp), maxResults: 4);
        Assert.Equal(["a0", "a1", "a2", "b0"], firstFour.Select(m => m.BodyAsString()));
        var everything = await fixture.Client.Admin.FindMessagesByTimeAsync(queue, DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow.AddDays(1), 100);
        Assert.Equal(10, everything.Count);
        Assert.Empty(await fixture.Client.Admin.FindMessagesByTimeAsync(queue, Time(after[^1].StoreTimestamp + 1), DateTimeOffset.UtcNow.AddDays(1)));
        Assert.Empty(await fixture.Client.Admin.FindMessagesByTimeAsync(queue, DateTimeOffset.UnixEpoch, Time(before[0].StoreTimestamp - 1)));

        // The pull consumer's offset lookup uses the same time index.
        var consumer = fixture.Client.CreatePullConsumer();
        Assert.Equal(during[0].QueueOffset, await consumer.GetOffsetByTimeAsync(queue, Time(during[0].StoreTimestamp)));
    }

    [Fact]
    public async Task FindMessagesByTime_Topic_MergesEveryQueueOfEveryBrokerInStoreTimeOrder()
    {
        var topic = TestTopics.Unique("q-time-topic");
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 6);
        Assert.Equal(3, route.Queues.Select(q => q.Broker).Distinct().Count());
        await using var producer = fixture.Client.CreateProducer();
        await SendPhaseAsync(producer, topic, "a", 12);
        var during = await SendPhaseAsync(producer, topic, "b", 30);
        await SendPhaseAsync(producer, topic, "c", 12);
        Assert.True(during.Select(m => m.Queue).Distinct().Count() > 3, "the phase spans queues of several brokers");

        var begin = Time(during.Min(m => m.StoreTimestamp));
        var end = Time(during.Max(m => m.StoreTimestamp));
        var found = await fixture.Client.Admin.FindMessagesByTimeAsync(topic, begin, end, 100);

        Assert.Equal(during.Select(m => m.BodyAsString()).Order(), found.Select(m => m.BodyAsString()).Order());
        Assert.True(found.Zip(found.Skip(1)).All(p => p.First.StoreTimestamp <= p.Second.StoreTimestamp), "oldest first");
        var limited = await fixture.Client.Admin.FindMessagesByTimeAsync(topic, begin, end, 7);
        Assert.Equal(found.Take(7).Select(m => m.MessageId), limited.Select(m => m.MessageId));
    }

    [Fact]
    public async Task FindMessagesByTime_BadInput_RefusedSayingWhatIsAllowed()
    {
        var topic = TestTopics.Unique("q-time-bad");
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var queue = new MessageQueue(topic, route.Queues[0].Broker, 0);
        var now = DateTimeOffset.UtcNow;

        var reversed = await Assert.ThrowsAsync<ArgumentException>(() => fixture.Client.Admin.FindMessagesByTimeAsync(queue, now, now.AddSeconds(-1)));
        Assert.Contains("after its end", reversed.Message);
        var none = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => fixture.Client.Admin.FindMessagesByTimeAsync(topic, now.AddHours(-1), now, 0));
        Assert.Contains("1 to 1024", none.Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => fixture.Client.Admin.FindMessagesByTimeAsync(queue, now.AddHours(-1), now, 1025));
        await Assert.ThrowsAsync<TopicNotFoundException>(() => fixture.Client.Admin.FindMessagesByTimeAsync(TestTopics.Unique("q-none"), now.AddHours(-1), now));

        var broker = fixture.Client.ClusterClient.GetGrain<IBrokerGrain>(queue.Broker);
        var negative = await Assert.ThrowsAsync<InvalidRequestException>(() => broker.QueryByTimeAsync(topic, -1, 0, 1, 10));
        Assert.Contains("Queue id -1 is negative", negative.Message);
        var badTopic = await Assert.ThrowsAsync<InvalidRequestException>(() => broker.QueryByTimeAsync("bad topic", 0, 0, 1, 10));
        Assert.Contains("character ' '", badTopic.Message);
        Assert.Empty(await broker.QueryByTimeAsync(topic, 5, 0, long.MaxValue, 10)); // a queue the broker does not have
    }

    /// <summary>
    /// Sends <paramref name="count"/> messages one after another and returns them as stored. Before returning it waits
    /// until the clock has passed their store time, so the next phase is stored strictly later.
    /// </summary>
    private async Task<List<ReceivedMessage>> SendPhaseAsync(Client.Producing.Producer producer, string topic, string prefix, int count, string? key = null)
    {
        var stored = new List<ReceivedMessage>();
        for (var i = 0; i < count; i++)
        {
            var message = new Message(topic, $"{prefix}{i}");
            if (key is not null)
            {
                message.Keys.Add(key);
            }

            var sent = await producer.SendAsync(message);
            stored.Add(await fixture.Client.Admin.FindMessageByIdAsync(sent.MessageId) ?? throw new InvalidOperationException($"Message {sent.MessageId} was not found."));
        }

        var last = stored.Max(m => m.StoreTimestamp);
        await Wait.UntilAsync(() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > last + 1, $"the clock to pass the store time {last} of phase '{prefix}'");
        return stored;
    }

    private static DateTimeOffset Time(long unixMilliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds);
}
