using System.Buffers;
using System.Security.Cryptography;
using OrleansMq.Client.Messages;
using OrleansMq.Client.Producing;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Routing;
using OrleansMq.Grains.Tests.Fixtures;
using OrleansMq.Storage.Codec;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Cluster;

/// <summary>The idempotent producer: a batch is stored once per queue even when its acknowledgement is lost.</summary>
public sealed class IdempotentProducerTests(LostAckCluster fixture) : IClassFixture<LostAckCluster>
{
    [Fact]
    public async Task SendAsync_ResponseLostAfterTheBrokerStoredIt_SentAgainToTheSameQueueAndStoredOnce()
    {
        var topic = TestTopics.Unique("idem-lost");
        await fixture.Client.Admin.CreateTopicAsync(topic, 2);
        await using var producer = fixture.Client.CreateProducer();
        Assert.NotEqual(0, producer.ProducerId);
        var dropped = fixture.LostAcks.Dropped;
        fixture.LostAcks.DropNextResponses(topic);

        var sent = await producer.SendAsync(new Message(topic, "once"));

        Assert.Equal(dropped + 1, fixture.LostAcks.Dropped);
        Assert.Equal(SendStatus.Ok, sent.Status);
        Assert.Equal(0, sent.QueueOffset);
        Assert.Equal(1, await TotalAsync(topic));
        var stored = Assert.Single(await fixture.Client.Admin.FindMessagesByUniqueKeyAsync(topic, sent.UniqueKey));
        Assert.Equal(sent.MessageId, stored.MessageId); // the original result, not a second copy's
        Assert.Equal(sent.Queue, stored.Queue);
    }

    [Fact]
    public async Task SendAsync_ResponseLostWithoutIdempotence_StoredTwice()
    {
        // The problem idempotence solves: the retry goes to another broker and the message is stored twice.
        var topic = TestTopics.Unique("idem-off");
        await fixture.Client.Admin.CreateTopicAsync(topic, 2);
        await using var producer = fixture.Client.CreateProducer(new ProducerOptions { EnableIdempotence = false });
        Assert.Equal(0, producer.ProducerId);
        fixture.LostAcks.DropNextResponses(topic);

        var sent = await producer.SendAsync(new Message(topic, "twice"));

        Assert.Equal(2, await TotalAsync(topic));
        Assert.Equal(2, (await fixture.Client.Admin.FindMessagesByUniqueKeyAsync(topic, sent.UniqueKey)).Count);
    }

    [Fact]
    public async Task SendAsync_ManyConcurrentSendsWithLostResponses_EveryMessageStoredExactlyOnce()
    {
        const int count = 500;
        var topic = TestTopics.Unique("idem-many");
        await fixture.Client.Admin.CreateTopicAsync(topic, 4);
        await using var producer = fixture.Client.CreateProducer(TestProducers.RoundRobin);
        var dropped = fixture.LostAcks.Dropped;
        fixture.LostAcks.DropNextResponses(topic, 6);

        var results = await Wait.ForAsync(
            Task.WhenAll(Enumerable.Range(0, count).Select(i => producer.SendAsync(new Message(topic, $"m{i}")))),
            $"{count} sends to {topic}");

        // A batch's response is dropped once (its retry gets through), so how many drops happen depends on how many
        // batches the 500 sends made; each of the 4 queues' first batches is one, so at least 4, at most the 6 armed.
        Assert.InRange(fixture.LostAcks.Dropped - dropped, 4, 6);
        Assert.Equal(count, await TotalAsync(topic));
        Assert.Equal(count, results.Select(r => r.MessageId).Distinct().Count());
        foreach (var queue in results.GroupBy(r => r.Queue))
        {
            // Offsets are dense: no gap left by a duplicate stored and not reported.
            Assert.Equal(Enumerable.Range(0, queue.Count()).Select(i => (long)i), queue.Select(r => r.QueueOffset).Order());
        }
    }

    [Fact]
    public async Task SendAsync_AppendFailedBeforeReachingTheBroker_NextBatchResyncsPastTheUnusedSequences()
    {
        // One queue, so the retry of the refused message goes to the same queue with new sequences: a gap the batch announces.
        var topic = TestTopics.Unique("idem-resync");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await using var producer = fixture.Client.CreateProducer(new ProducerOptions { BrokerFaultBackoff = TimeSpan.Zero });
        fixture.LostAcks.FailNextAppends(topic);

        var first = await producer.SendAsync(new Message(topic, "after-a-refusal"));
        var second = await producer.SendAsync(new Message(topic, "next"));

        Assert.Equal((0L, 1L), (first.QueueOffset, second.QueueOffset));
        Assert.Equal(2, await TotalAsync(topic));
    }

    [Fact]
    public async Task Append_SameSequencesTwice_SecondAnsweredWithTheOriginalResultsAndNothingStored()
    {
        var (_, grain) = await QueueAsync("idem-direct");
        var producerId = NewProducerId();
        var first = await grain.AppendAsync(Batch(producerId, 0, 3));
        Assert.Equal(SendStatus.Ok, first.Status);

        var again = await grain.AppendAsync(Batch(producerId, 0, 3));

        Assert.Equal(Describe(first), Describe(again));
        Assert.Equal(3, (await grain.GetOffsetsAsync()).Max);
        var next = await grain.AppendAsync(Batch(producerId, 3, 2));
        Assert.Equal(SendStatus.Ok, next.Status);
        Assert.Equal([3L, 4L], next.Messages.Select(m => m.QueueOffset));
        Assert.Equal(5, (await grain.GetOffsetsAsync()).Max);
    }

    [Fact]
    public async Task Append_AfterTheQueueGrainDeactivated_DuplicateStillRecognisedFromTheLog()
    {
        var (_, grain) = await QueueAsync("idem-deactivate");
        var producerId = NewProducerId();
        var first = await grain.AppendAsync(Batch(producerId, 0, 4));
        Assert.Equal(SendStatus.Ok, first.Status);

        await fixture.Cluster.DeactivateAsync(grain);
        await fixture.Cluster.WaitForDeactivationAsync(grain);
        var again = await grain.AppendAsync(Batch(producerId, 0, 4));

        Assert.Equal(Describe(first), Describe(again));
        Assert.Equal(4, (await grain.GetOffsetsAsync()).Max);
    }

    [Fact]
    public async Task Append_AfterTheBrokerRestarted_DuplicateStillRecognisedAndGapsStillRefused()
    {
        var (queue, grain) = await QueueAsync("idem-restart");
        var producerId = NewProducerId();
        await grain.AppendAsync(Batch(producerId, 0, 2));
        var first = await grain.AppendAsync(Batch(producerId, 2, 3));
        Assert.Equal(SendStatus.Ok, first.Status);

        await fixture.RestartBrokerAsync(queue.Broker);
        var again = await grain.AppendAsync(Batch(producerId, 2, 3));
        var gap = await grain.AppendAsync(Batch(producerId, 7, 1));

        Assert.Equal(Describe(first), Describe(again));
        Assert.Equal(SendStatus.OutOfOrderSequence, gap.Status);
        Assert.Equal(5, (await grain.GetOffsetsAsync()).Max);
    }

    [Fact]
    public async Task Append_SequenceGapOrOverlap_RefusedNamingTheExpectedSequence_ResyncAcceptsAGap()
    {
        var (_, grain) = await QueueAsync("idem-gap");
        var producerId = NewProducerId();
        Assert.Equal(SendStatus.Ok, (await grain.AppendAsync(Batch(producerId, 0, 3))).Status);

        var gap = await grain.AppendAsync(Batch(producerId, 10, 1));
        Assert.Equal(SendStatus.OutOfOrderSequence, gap.Status);
        Assert.Empty(gap.Messages);
        Assert.Contains("expected sequence 3", gap.Error);
        Assert.Contains("10..10", gap.Error);

        var overlap = await grain.AppendAsync(Batch(producerId, 2, 2));
        Assert.Equal(SendStatus.OutOfOrderSequence, overlap.Status);
        Assert.Equal(3, (await grain.GetOffsetsAsync()).Max);

        // A producer that saw a batch fail skips its sequences and says so.
        var resync = await grain.AppendAsync(Batch(producerId, 10, 1) with { Resync = true });
        Assert.Equal(SendStatus.Ok, resync.Status);
        Assert.Equal(4, (await grain.GetOffsetsAsync()).Max);

        var negative = await grain.AppendAsync(Batch(producerId, 11, 1) with { BaseSequence = -1 });
        Assert.Equal(SendStatus.MessageIllegal, negative.Status);
        Assert.Contains("sequences start at 0", negative.Error);
    }

    [Fact]
    public async Task Append_OldBatchBeyondTheRememberedResults_AnsweredAsDuplicateWithoutStoring()
    {
        var (_, grain) = await QueueAsync("idem-old");
        var producerId = NewProducerId();
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(SendStatus.Ok, (await grain.AppendAsync(Batch(producerId, i, 1))).Status);
        }

        var stale = await grain.AppendAsync(Batch(producerId, 0, 1));

        Assert.Equal(SendStatus.DuplicateSequence, stale.Status);
        Assert.Contains("no longer remembers", stale.Error);
        Assert.Equal(8, (await grain.GetOffsetsAsync()).Max);
    }

    [Fact]
    public void CreateProducer_IdempotenceWithSeveralBatchesInFlight_RefusedNamingTheOptions()
    {
        var error = Assert.Throws<ArgumentException>(() => fixture.Client.CreateProducer(new ProducerOptions { MaxInFlightBatchesPerQueue = 4 }));
        Assert.Contains("ProducerOptions.MaxInFlightBatchesPerQueue is 4; with EnableIdempotence it must be 1", error.Message);
        Assert.Contains("EnableIdempotence = false", error.Message);
        _ = fixture.Client.CreateProducer(new ProducerOptions { MaxInFlightBatchesPerQueue = 4, EnableIdempotence = false });
    }

    private async Task<(QueueRoute Queue, IMessageQueueGrain Grain)> QueueAsync(string prefix)
    {
        var topic = TestTopics.Unique(prefix);
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var queue = route.Queues[0];
        return (queue, fixture.Client.ClusterClient.GetGrain<IMessageQueueGrain>(new QueueKey(queue.Broker, topic, queue.QueueId).ToString()));
    }

    private static long NewProducerId() => BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) | 1;

    /// <summary>A batch as an idempotent producer writes it: entry i carries sequence <paramref name="baseSequence"/> + i.</summary>
    private static AppendRequest Batch(long producerId, long baseSequence, int count)
    {
        var batch = new ArrayBufferWriter<byte>();
        Span<byte> sequence = stackalloc byte[SequenceProperty.MaxEncodedSize];
        for (var i = 0; i < count; i++)
        {
            var properties = MessageProperties.Encode([new KeyValuePair<string, string>(PropertyNames.UniqueKey, $"u{baseSequence + i}")]);
            var length = SequenceProperty.Write(sequence, producerId, baseSequence + i);
            MessageBatchWriter.Write(batch, 0, MessageFlags.None, [.. properties, .. sequence[..length]], System.Text.Encoding.UTF8.GetBytes($"body-{baseSequence + i}"));
        }

        return new AppendRequest(batch.WrittenMemory.ToArray(), count, ProducerId: producerId, BaseSequence: baseSequence);
    }

    private static string Describe(AppendResponse response) =>
        $"{response.Status} {response.StoreId:X16} " + string.Join(",", response.Messages.Select(m => $"{m.Status}@{m.LogOffset}/{m.QueueOffset}"));

    private async Task<long> TotalAsync(string topic) => (await fixture.Client.Admin.GetTopicOffsetsAsync(topic)).Sum(q => q.MaxOffset);
}
