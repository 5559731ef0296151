using System.Buffers;
using System.Security.Cryptography;
using OrleansMq.Client.Messages;
using OrleansMq.Client.Producing;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Queues;
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
    public async Task Append_DuplicatesOfStoredBatchesOfTwoProducers_EachAnsweredWithItsOwnOriginalResults()
    {
        // A stored batch is remembered by where it went in the queue; its message ids are read back on a duplicate.
        var (_, grain) = await QueueAsync("idem-two");
        long a = NewProducerId(), b = NewProducerId();
        var firstA = await grain.AppendAsync(Batch(a, 0, 3));
        var firstB = await grain.AppendAsync(Batch(b, 0, 2));
        var secondA = await grain.AppendAsync(Batch(a, 3, 1));

        var againB = await grain.AppendAsync(Batch(b, 0, 2));
        var againA = await grain.AppendAsync(Batch(a, 0, 3));
        var againSecondA = await grain.AppendAsync(Batch(a, 3, 1));

        Assert.Equal([0L, 1L, 2L], firstA.Messages.Select(m => m.QueueOffset));
        Assert.Equal(Describe(firstA), Describe(againA));
        Assert.Equal(Describe(firstB), Describe(againB));
        Assert.Equal(Describe(secondA), Describe(againSecondA));
        Assert.Equal(6, (await grain.GetOffsetsAsync()).Max);
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
    public async Task Append_BatchesArrivingAheadOfEarlierOnes_WaitForThemAndAreStoredInSequenceOrder()
    {
        var (_, grain) = await QueueAsync("idem-ahead");
        var producerId = NewProducerId();

        // A new producer's second batch first: it waits for batch 0 instead of being taken as the producer's start.
        var ahead = grain.AppendAsync(Batch(producerId, 3, 2));
        // Held, not stored (the old queue stored it at once): a bounded look, well inside the fixture's gap wait.
        Assert.NotSame(ahead, await Task.WhenAny(ahead, Task.Delay(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken)));
        Assert.Equal(0, (await grain.GetOffsetsAsync()).Max);
        var start = await grain.AppendAsync(Batch(producerId, 0, 3));
        var later = await Wait.ForAsync(ahead, "the early batch once batch 0 is stored");

        Assert.Equal([0L, 1L, 2L], start.Messages.Select(m => m.QueueOffset));
        Assert.Equal([3L, 4L], later.Messages.Select(m => m.QueueOffset));

        // A known producer's batch ahead of its predecessor: the same.
        var ahead2 = grain.AppendAsync(Batch(producerId, 7, 1));
        var between = await grain.AppendAsync(Batch(producerId, 5, 2));
        Assert.Equal([5L, 6L], between.Messages.Select(m => m.QueueOffset));
        Assert.Equal([7L], (await Wait.ForAsync(ahead2, "the second early batch")).Messages.Select(m => m.QueueOffset));
        Assert.Equal(8, (await grain.GetOffsetsAsync()).Max);
    }

    [Fact]
    public async Task Append_UnknownProducerStartingPastZero_AcceptedAfterTheGapWaitAsAForgottenProducer()
    {
        var (_, grain) = await QueueAsync("idem-forgotten");
        var producerId = NewProducerId();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var forgotten = await grain.AppendAsync(Batch(producerId, 40, 2));

        Assert.True(clock.Elapsed >= BrokerCluster.GapWait - TimeSpan.FromMilliseconds(20), $"accepted after {clock.Elapsed.TotalMilliseconds:F0} ms, before the gap wait of {BrokerCluster.GapWait}");
        Assert.Equal(SendStatus.Ok, forgotten.Status);
        Assert.Equal([0L, 1L], forgotten.Messages.Select(m => m.QueueOffset));
        Assert.Equal(SendStatus.Ok, (await grain.AppendAsync(Batch(producerId, 42, 1))).Status);
    }

    [Fact]
    public async Task Append_OldBatchBeyondTheRememberedResults_AnsweredAsDuplicateWithoutStoring()
    {
        var (_, grain) = await QueueAsync("idem-old");
        var producerId = NewProducerId();
        const int batches = ProducerStateTable.RememberedBatches + 3;
        for (var i = 0; i < batches; i++)
        {
            Assert.Equal(SendStatus.Ok, (await grain.AppendAsync(Batch(producerId, i, 1))).Status);
        }

        var remembered = await grain.AppendAsync(Batch(producerId, batches - ProducerStateTable.RememberedBatches, 1));
        var stale = await grain.AppendAsync(Batch(producerId, batches - ProducerStateTable.RememberedBatches - 1, 1));

        Assert.Equal(SendStatus.Ok, remembered.Status);
        Assert.Equal(batches - ProducerStateTable.RememberedBatches, Assert.Single(remembered.Messages).QueueOffset);
        Assert.Equal(SendStatus.DuplicateSequence, stale.Status);
        Assert.Contains("no longer remembers", stale.Error);
        Assert.Equal(batches, (await grain.GetOffsetsAsync()).Max);
    }

    [Fact]
    public void CreateProducer_IdempotenceWithMoreThanFiveBatchesInFlight_RefusedNamingTheOptions()
    {
        var error = Assert.Throws<ArgumentException>(() => fixture.Client.CreateProducer(new ProducerOptions { MaxInFlightBatchesPerQueue = 6 }));
        Assert.Contains("ProducerOptions.MaxInFlightBatchesPerQueue is 6; with EnableIdempotence it must be between 1 and 5", error.Message);
        Assert.Contains("EnableIdempotence = false", error.Message);
        _ = fixture.Client.CreateProducer(new ProducerOptions { MaxInFlightBatchesPerQueue = 5 });
        _ = fixture.Client.CreateProducer(new ProducerOptions { MaxInFlightBatchesPerQueue = 6, EnableIdempotence = false });
    }

    [Fact]
    public async Task SendAsync_SeveralBatchesInFlightPerQueue_NextBatchLeavesBeforeTheAnswerAndAllStoredInSendOrder()
    {
        const int count = 300;
        var topic = TestTopics.Unique("idem-pipe");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await using var producer = fixture.Client.CreateProducer(new ProducerOptions { MaxInFlightBatchesPerQueue = 3, MinPipelinedBatchBytes = 0 });
        var first = await producer.SendAsync(new Message(topic, "route")); // the burst below finds the route cached, so it is queued in send order
        fixture.LostAcks.HoldAnswersUntilInFlight(topic, 3);

        // One send per batch while the answers are held: the second and third leave before the first is answered.
        var sends = new List<Task<SendResult>>();
        for (var i = 0; i < 3; i++)
        {
            sends.Add(producer.SendAsync(new Message(topic, $"m{i}")));
            await Wait.UntilAsync(() => fixture.LostAcks.MaxInFlight(topic) > i, $"batch {i + 1} to be sent while the earlier ones wait for their answers",
                observed: () => $"at most {fixture.LostAcks.MaxInFlight(topic)} in flight");
        }

        for (var i = 3; i < count; i++)
        {
            sends.Add(producer.SendAsync(new Message(topic, $"m{i}")));
        }

        var results = await Wait.ForAsync(Task.WhenAll(sends), $"{count} sends to {topic}");

        Assert.Equal(3, fixture.LostAcks.MaxInFlight(topic)); // with one batch at a time the answers were held for nothing
        Assert.Equal(0, first.QueueOffset);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), results.Select(r => r.QueueOffset));
        Assert.Equal(count + 1, await TotalAsync(topic));
        var stored = await fixture.Client.Admin.FindMessagesByUniqueKeyAsync(topic, results[count - 1].UniqueKey);
        Assert.Equal($"m{count - 1}", Assert.Single(stored).BodyAsString());
    }

    [Fact]
    public async Task SendAsync_DefaultOptions_BatchesOfAtLeast32KiBLeaveBesideThoseInFlight_UpToFour_StoredInSendOrder()
    {
        const int count = 40;
        var topic = TestTopics.Unique("idem-default-pipe");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await using var producer = fixture.Client.CreateProducer(new ProducerOptions());
        await producer.SendAsync(new Message(topic, "route")); // the sends below find the route cached, so they are queued in send order
        const int slots = 4; // the default with idempotence
        fixture.LostAcks.HoldAnswersUntilInFlight(topic, slots);
        var body = new byte[40 * 1024];

        // One 40 KiB send per batch while the answers are held: each leaves before the earlier ones are answered.
        var sends = new List<Task<SendResult>>();
        for (var i = 0; i < slots; i++)
        {
            sends.Add(producer.SendAsync(new Message(topic, body)));
            await Wait.UntilAsync(() => fixture.LostAcks.MaxInFlight(topic) > i,
                $"batch {i + 1} of 40 KiB to leave while the earlier ones wait for their answers (the default allows {slots} with idempotence)",
                observed: () => $"at most {fixture.LostAcks.MaxInFlight(topic)} in flight");
        }

        for (var i = slots; i < count; i++)
        {
            sends.Add(producer.SendAsync(new Message(topic, body)));
        }

        var results = await Wait.ForAsync(Task.WhenAll(sends), $"{count} sends to {topic}");

        Assert.Equal(slots, fixture.LostAcks.MaxInFlight(topic)); // never more than the default
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), results.Select(r => r.QueueOffset));
    }

    [Fact]
    public async Task SendAsync_DefaultOptions_SmallMessagesLeaveBesideABatchInFlightOnlyOnce32KiBAreGathered()
    {
        const int count = 400;
        var topic = TestTopics.Unique("idem-pipe-min");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await using var producer = fixture.Client.CreateProducer(new ProducerOptions());
        await producer.SendAsync(new Message(topic, "route"));
        fixture.LostAcks.HoldAnswersUntilInFlight(topic, 2);
        var body = new byte[1024];

        // One at a time, yielding between sends, so a queue free to send a small batch beside the one in flight would.
        var sends = new List<Task<SendResult>>();
        for (var i = 0; i < count; i++)
        {
            sends.Add(producer.SendAsync(new Message(topic, body)));
            await Task.Yield();
        }

        await Wait.ForAsync(Task.WhenAll(sends), $"{count} sends to {topic}");

        var beside = fixture.LostAcks.AppendsBesideAnother(topic);
        Assert.NotEmpty(beside); // 400 KiB with the first batch's answer held: the second slot was used
        Assert.All(beside, bytes => Assert.True(bytes >= 32 * 1024, $"a batch of {bytes} bytes left beside one in flight"));
    }

    [Fact]
    public async Task SendAsync_SeveralBatchesInFlightWithLostResponses_EveryMessageStoredExactlyOnceInSendOrder()
    {
        const int count = 500;
        var topic = TestTopics.Unique("idem-pipe-lost");
        await fixture.Client.Admin.CreateTopicAsync(topic, 2);
        await using var producer = fixture.Client.CreateProducer(new ProducerOptions
        {
            MaxInFlightBatchesPerQueue = ProducerOptions.MaxInFlightBatchesWithIdempotence,
            MinPipelinedBatchBytes = 0,
            QueueSelection = QueueSelection.RoundRobin,
        });
        await producer.SendAsync(new Message(topic, "route")); // the burst below finds the route cached, so it is queued in send order
        var dropped = fixture.LostAcks.Dropped;
        fixture.LostAcks.DropNextResponses(topic, 6);

        var results = await SendBurstAsync(producer, topic, count);

        Assert.InRange(fixture.LostAcks.Dropped - dropped, 2, 6);
        Assert.Equal(count + 1, await TotalAsync(topic));
        Assert.Equal(count, results.Select(r => r.MessageId).Distinct().Count());
        foreach (var queue in results.GroupBy(r => r.Queue))
        {
            // Dense offsets (no duplicate stored and not reported), in the order the messages were sent.
            var offsets = queue.Select(r => r.QueueOffset).ToList();
            Assert.Equal(Enumerable.Range((int)offsets[0], offsets.Count).Select(i => (long)i), offsets);
        }
    }

    [Fact]
    public async Task SendAsync_BatchSentAgainWhileOtherBatchesOfItsQueueWereGoingOn_AnsweredWithItsOriginalResults()
    {
        // A dropped answer's batch is sent again late: had the producer's other slots gone on meanwhile, the queue would
        // have accepted more batches than it remembers, and the late one would get DuplicateSequence instead of its results.
        const int count = 400;
        var topic = TestTopics.Unique("idem-pipe-late");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await using var producer = fixture.Client.CreateProducer(new ProducerOptions
        {
            MaxInFlightBatchesPerQueue = ProducerOptions.MaxInFlightBatchesWithIdempotence,
            MinPipelinedBatchBytes = 0,
            MaxBatchMessages = 4,
        });
        await producer.SendAsync(new Message(topic, "route"));
        var dropped = fixture.LostAcks.Dropped;
        fixture.LostAcks.DropNextResponses(topic, 1);
        fixture.LostAcks.DelayResends(topic, TimeSpan.FromMilliseconds(300));

        var results = await SendBurstAsync(producer, topic, count);

        Assert.Equal(1, fixture.LostAcks.Dropped - dropped);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), results.Select(r => r.QueueOffset));
        Assert.Equal(count + 1, await TotalAsync(topic));
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

    /// <summary>Sends <c>m0</c>…<c>m{count - 1}</c> in one go (each send queued before the next) and waits for all of them.</summary>
    private static Task<SendResult[]> SendBurstAsync(Producer producer, string topic, int count)
    {
        var sends = new Task<SendResult>[count];
        for (var i = 0; i < count; i++)
        {
            sends[i] = producer.SendAsync(new Message(topic, $"m{i}"));
        }

        return Wait.ForAsync(Task.WhenAll(sends), $"{count} sends to {topic}");
    }

    private async Task<long> TotalAsync(string topic) => (await fixture.Client.Admin.GetTopicOffsetsAsync(topic)).Sum(q => q.MaxOffset);
}
