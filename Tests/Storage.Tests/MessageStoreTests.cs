using System.Text;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.Internal;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

public sealed class MessageStoreTests
{
    [Fact]
    public async Task AppendAsync_Batch_AssignsDenseOffsetsAndRoundTripsEveryField()
    {
        using var dir = new TempDirectory("store");
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path));
        var topic = StoreHarness.Topic("roundtrip");
        var props = StoreHarness.Props(("TAGS", "TagA"), ("KEYS", "k1 k2"), ("custom", "välue"));
        var batch = StoreHarness.One("hello", props, born: 1234, flags: MessageFlags.Compressed);

        var first = await store.AppendAsync(topic, 2, batch);
        var second = await store.AppendAsync(topic, 2, StoreHarness.Many(3, "m"));

        Assert.Equal(AppendStatus.Ok, first.Status);
        Assert.Equal(AppendStatus.Ok, second.Status);
        Assert.Equal([0L, 1, 2, 3], first.Messages.Concat(second.Messages).Select(m => m.QueueOffset));
        Assert.Equal(0, first.Messages[0].LogOffset);
        var read = store.Read(topic, 2, 0, 10, 1 << 20);
        Assert.Equal(ReadStatus.Found, read.Status);
        Assert.Equal(4, read.Count);
        Assert.Equal(4, read.NextQueueOffset);
        Assert.Equal(new QueueRange(0, 4), read.Range);
        Assert.True(StoredRecord.TryParse(read.Records.Span, out var record));
        Assert.Equal(topic, Encoding.UTF8.GetString(record.Topic));
        Assert.Equal(2, record.QueueId);
        Assert.Equal(0, record.QueueOffset);
        Assert.Equal(first.Messages[0].LogOffset, record.LogOffset);
        Assert.Equal(1234, record.BornTimestamp);
        Assert.Equal(first.StoreTimestamp, record.StoreTimestamp);
        Assert.Equal(MessageFlags.Compressed, record.Flags);
        Assert.Equal(props, MessageProperties.Decode(record.Properties));
        Assert.Equal("hello", Encoding.UTF8.GetString(record.Body));
        Assert.Equal(["hello", "m-0", "m-1", "m-2"], StoreHarness.Records(read).Select(r => r.Body));

        Assert.True(store.TryReadMessage(second.Messages[1].LogOffset, out var message));
        Assert.Equal("m-1", Encoding.UTF8.GetString(message.Body.Span));
        Assert.Equal(new MessageId(store.StoreId, second.Messages[1].LogOffset), message.MessageId);
        Assert.Equal(2, message.QueueOffset);
        Assert.False(store.TryReadMessage(second.Messages[1].LogOffset + 1, out _));
        Assert.False(store.TryReadMessage(1 << 30, out _));
    }

    [Fact]
    public async Task AppendAsync_InvalidEntries_ReportedPerMessageAndValidOnesStored()
    {
        using var dir = new TempDirectory("store");
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path));
        var topic = StoreHarness.Topic("invalid");
        var batch = StoreHarness.Raw(
            ([], "ok-0"u8.ToArray()),
            ([], []),
            ([], new byte[4 * 1024 + 1]),
            (new byte[1025], "x"u8.ToArray()),
            ([0x00, 0x00], "bad props"u8.ToArray()),
            ([], "ok-1"u8.ToArray()));

        var result = await store.AppendAsync(topic, 0, batch);

        Assert.Equal(AppendStatus.BodyTooLarge, result.Status);
        Assert.Equal(
            [AppendStatus.Ok, AppendStatus.BodyTooLarge, AppendStatus.BodyTooLarge, AppendStatus.PropertiesTooLarge, AppendStatus.MessageIllegal, AppendStatus.Ok],
            result.Messages.Select(m => m.Status));
        Assert.Equal([0L, -1, -1, -1, -1, 1], result.Messages.Select(m => m.QueueOffset));
        Assert.Equal(["ok-0", "ok-1"], StoreHarness.ReadAll(store, topic, 0).Select(r => r.Body));
    }

    [Fact]
    public async Task AppendAsync_MalformedFraming_WholeBatchIllegal()
    {
        using var dir = new TempDirectory("store");
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path));
        var batch = StoreHarness.Many(2, "x");

        var result = await store.AppendAsync("t", 0, batch.AsMemory(0, batch.Length - 3));
        var empty = await store.AppendAsync("t", 0, ReadOnlyMemory<byte>.Empty);

        Assert.Equal(AppendStatus.MessageIllegal, result.Status);
        Assert.Empty(result.Messages);
        Assert.Equal(AppendStatus.MessageIllegal, empty.Status);
        Assert.Equal(default, store.GetQueueRange("t", 0));
    }

    [Fact]
    public async Task AppendAsync_InvalidTopicOrQueue_ThrowsArgumentException()
    {
        using var dir = new TempDirectory("store");
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path));
        var batch = StoreHarness.One("x");

        Assert.Throws<ArgumentException>(() => store.AppendAsync("", 0, batch));
        Assert.Throws<ArgumentException>(() => store.AppendAsync(new string('é', 128), 0, batch));
        Assert.Throws<ArgumentException>(() => store.AppendAsync("t", -1, batch));
        Assert.Throws<ArgumentException>(() => store.Read("t", -1, 0, 1, 1));
    }

    [Fact]
    public async Task AppendAsync_TinySegments_RollsAndReadsAcrossSegments()
    {
        using var dir = new TempDirectory("store");
        var options = StoreHarness.Options(dir.Path, segmentSize: 8 * 1024);
        var topic = StoreHarness.Topic("roll");
        await using (var store = await StoreHarness.OpenAsync(options))
        {
            for (var i = 0; i < 40; i++)
            {
                var result = await store.AppendAsync(topic, 0, StoreHarness.Many(5, $"b{i}-" + new string('p', 100)));
                Assert.Equal(AppendStatus.Ok, result.Status);
            }

            Assert.True(store.GetStatus().SegmentCount > 5, $"segments: {store.GetStatus().SegmentCount}");
            var all = StoreHarness.ReadAll(store, topic, 0);
            Assert.Equal(200, all.Count);
            Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), all.Select(r => r.QueueOffset));
            Assert.All(all, r => Assert.True(r.LogOffset / (8 * 1024) == (r.LogOffset + 150) / (8 * 1024), "a record never spans segments"));
        }

        var files = Directory.GetFiles(Path.Combine(dir.Path, "commitlog")).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal("00000000000000000000", files[0]);
        Assert.Equal("00000000000000008192", files[1]);

        await using var reopened = await StoreHarness.OpenAsync(options);
        Assert.Equal(200, StoreHarness.ReadAll(reopened, topic, 0).Count);
    }

    [Fact]
    public async Task AppendAsync_SyncPolicyWithoutPreparation_WritesNoPreparedSegments()
    {
        using var dir = new TempDirectory("store");
        var options = StoreHarness.Options(dir.Path, segmentSize: 8 * 1024);
        Assert.False(options.PrepareSegments);
        await using (var store = await StoreHarness.OpenAsync(options))
        {
            for (var i = 0; i < 20; i++)
            {
                await store.AppendAsync("noprep", 0, StoreHarness.One(new string('x', 1000)));
            }

            Assert.Equal(20, StoreHarness.ReadAll(store, "noprep", 0).Count);
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(dir.Path, "commitlog"), "*.prepared"));
    }

    [Fact]
    public async Task AppendAsync_SyncPolicy_RollsIntoZeroFilledPreparedSegments()
    {
        using var dir = new TempDirectory("store");
        var options = StoreHarness.Options(dir.Path, segmentSize: 8 * 1024);
        options.PrepareSegments = true;
        var commitlog = Path.Combine(dir.Path, "commitlog");
        await using (var store = await StoreHarness.OpenAsync(options))
        {
            await Wait.ForAsync(store.WhenNextSegmentPreparedAsync(), "the first segment to be prepared");
            Assert.True(File.Exists(Path.Combine(commitlog, "00000000000000000000.prepared")));
            await store.AppendAsync("prep", 0, StoreHarness.One("first"));
            await Wait.ForAsync(store.WhenNextSegmentPreparedAsync(), "the next segment to be prepared");
            Assert.Equal(8 * 1024, new FileInfo(Path.Combine(commitlog, "00000000000000008192.prepared")).Length);
            for (var i = 0; i < 10; i++)
            {
                await store.AppendAsync("prep", 0, StoreHarness.One(new string('x', 1000)));
            }

            Assert.True(File.Exists(Path.Combine(commitlog, "00000000000000008192")), "rolled into the prepared segment");
            Assert.Equal(11, StoreHarness.ReadAll(store, "prep", 0).Count);
        }

        await using var reopened = await StoreHarness.OpenAsync(options, new OrleansMq.Storage.Internal.StoreTestHooks(), null);
        Assert.Equal(11, StoreHarness.ReadAll(reopened, "prep", 0).Count);
    }

    [Fact]
    public async Task OpenAsync_Reopen_PreservesStoreIdOffsetsAndQueues()
    {
        using var dir = new TempDirectory("store");
        var options = StoreHarness.Options(dir.Path);
        var topic = StoreHarness.Topic("reopen");
        long storeId;
        await using (var store = await StoreHarness.OpenAsync(options))
        {
            storeId = store.StoreId;
            Assert.NotEqual(0, storeId);
            await store.AppendAsync(topic, 0, StoreHarness.Many(3, "a"));
            await store.AppendAsync(topic, 1, StoreHarness.Many(2, "b"));
        }

        await using var reopened = await StoreHarness.OpenAsync(options);
        Assert.Equal(storeId, reopened.StoreId);
        Assert.Equal([(topic, 0, new QueueRange(0, 3)), (topic, 1, new QueueRange(0, 2))], reopened.ListQueues().Select(q => (q.Topic, q.QueueId, q.Range)));
        var next = await reopened.AppendAsync(topic, 0, StoreHarness.One("c"));
        Assert.Equal(3, next.Messages[0].QueueOffset);
        Assert.Equal(["a-0", "a-1", "a-2", "c"], StoreHarness.ReadAll(reopened, topic, 0).Select(r => r.Body));
        var status = reopened.GetStatus();
        Assert.Equal(status.WrittenPosition, status.DurablePosition);
    }

    [Fact]
    public async Task OpenAsync_SameDirectoryTwice_Throws()
    {
        using var dir = new TempDirectory("store");
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path));
        await Assert.ThrowsAsync<IOException>(() => MessageStore.OpenAsync(StoreHarness.Options(dir.Path)));
    }

    [Fact]
    public async Task Read_OffsetsOutOfRange_ReportStatus()
    {
        using var dir = new TempDirectory("store");
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path));
        var topic = StoreHarness.Topic("status");
        Assert.Equal(ReadStatus.NoNewMessage, store.Read(topic, 0, 0, 1, 100).Status);
        Assert.Equal(ReadStatus.OffsetTooBig, store.Read(topic, 0, 5, 1, 100).Status);
        await store.AppendAsync(topic, 0, StoreHarness.Many(2, "x"));

        Assert.Equal(ReadStatus.NoNewMessage, store.Read(topic, 0, 2, 1, 100).Status);
        var tooBig = store.Read(topic, 0, 3, 1, 100);
        Assert.Equal(ReadStatus.OffsetTooBig, tooBig.Status);
        Assert.Equal(2, tooBig.NextQueueOffset);
        Assert.Equal(ReadStatus.OffsetTooSmall, store.Read(topic, 0, -1, 1, 100).Status);
    }

    [Fact]
    public async Task Read_MaxBytesSmallerThanRecord_StillReturnsOne()
    {
        using var dir = new TempDirectory("store");
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path));
        var topic = StoreHarness.Topic("maxbytes");
        await store.AppendAsync(topic, 0, StoreHarness.Many(5, new string('z', 200)));

        var one = store.Read(topic, 0, 0, 10, 1);
        var two = store.Read(topic, 0, 1, 2, 1 << 20);

        Assert.Equal(1, one.Count);
        Assert.Equal(1, one.NextQueueOffset);
        Assert.Equal(2, two.Count);
        Assert.Equal(3, two.NextQueueOffset);
    }

    [Fact]
    public async Task Read_WithFilter_UsesTagHashThenExactMatch()
    {
        using var dir = new TempDirectory("store");
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path));
        var topic = StoreHarness.Topic("filter");
        await store.AppendAsync(topic, 0, StoreHarness.Many(10, "m", i => StoreHarness.Props(("TAGS", i % 3 == 0 ? "A" : "B"), ("n", i.ToString(System.Globalization.CultureInfo.InvariantCulture)))));

        var tagA = store.Read(topic, 0, 0, 100, 1 << 20, new TagFilter("A"));
        Assert.Equal(["m-0", "m-3", "m-6", "m-9"], StoreHarness.Records(tagA).Select(r => r.Body));
        Assert.Equal(10, tagA.NextQueueOffset);

        var exactReject = store.Read(topic, 0, 0, 100, 1 << 20, new TagFilter("A", exactRejectsAll: true));
        Assert.Equal(ReadStatus.NoMatchedMessage, exactReject.Status);
        Assert.Equal(10, exactReject.NextQueueOffset);

        var none = store.Read(topic, 0, 1, 100, 1 << 20, new TagFilter("C"));
        Assert.Equal(ReadStatus.NoMatchedMessage, none.Status);
        Assert.Equal(10, none.NextQueueOffset);

        var limited = store.Read(topic, 0, 1, 2, 1 << 20, new TagFilter("A"));
        Assert.Equal(["m-3", "m-6"], StoreHarness.Records(limited).Select(r => r.Body));
        Assert.Equal(7, limited.NextQueueOffset);
    }

    [Fact]
    public async Task DeleteTopicAsync_RemovesQueues_SurvivesReopen_TopicCanStartAgain()
    {
        using var dir = new TempDirectory("store");
        var options = StoreHarness.Options(dir.Path);
        var topic = StoreHarness.Topic("delete");
        var other = StoreHarness.Topic("keep");
        await using (var store = await StoreHarness.OpenAsync(options))
        {
            await store.AppendAsync(topic, 0, StoreHarness.Many(3, "gone"));
            await store.AppendAsync(topic, 1, StoreHarness.Many(1, "gone"));
            await store.AppendAsync(other, 0, StoreHarness.Many(2, "kept"));

            await store.DeleteTopicAsync(topic);

            Assert.DoesNotContain(store.ListQueues(), q => q.Topic == topic);
            Assert.Equal(default, store.GetQueueRange(topic, 0));
            Assert.Equal(ReadStatus.NoNewMessage, store.Read(topic, 0, 0, 10, 1000).Status);
        }

        await using (var reopened = await StoreHarness.OpenAsync(options))
        {
            Assert.Equal([other], reopened.ListQueues().Select(q => q.Topic));
            var again = await reopened.AppendAsync(topic, 0, StoreHarness.One("new"));
            Assert.Equal(0, again.Messages[0].QueueOffset);
            Assert.Equal(["new"], StoreHarness.ReadAll(reopened, topic, 0).Select(r => r.Body));
        }
    }

    [Fact]
    public async Task DeleteTopicAsync_ThenCrash_ReplayDoesNotResurrectTheTopic()
    {
        // The index is flushed less often than the checkpoint; a deletion must still checkpoint past the topic's
        // records, or the replay after a crash would dispatch them into new queue files again.
        using var dir = new TempDirectory("store");
        using var image = new TempDirectory("store-crash");
        var options = StoreHarness.Options(dir.Path);
        options.IndexFlushInterval = TimeSpan.FromHours(1);
        var topic = StoreHarness.Topic("delete");
        var other = StoreHarness.Topic("keep");
        await using (var store = await StoreHarness.OpenAsync(options, new StoreTestHooks { CheckpointInterval = Timeout.InfiniteTimeSpan }))
        {
            await store.AppendAsync(topic, 0, StoreHarness.Many(3, "gone"));
            await store.AppendAsync(other, 0, StoreHarness.Many(2, "kept"));
            await store.DeleteTopicAsync(topic);
            StoreHarness.CopyDirectory(dir.Path, image.Path); // the files as a crash would leave them
        }

        var crashed = StoreHarness.Options(image.Path);
        await using var reopened = await StoreHarness.OpenAsync(crashed);
        Assert.Equal([other], reopened.ListQueues().Select(q => q.Topic));
        Assert.Equal(default, reopened.GetQueueRange(topic, 0));
    }

    [Fact]
    public async Task DisposeAsync_ThenAppend_ReturnsStoreClosed()
    {
        using var dir = new TempDirectory("store");
        var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path));
        await store.DisposeAsync();
        var result = await store.AppendAsync("t", 0, StoreHarness.One("x"));
        Assert.Equal(AppendStatus.StoreClosed, result.Status);
        await store.DisposeAsync();
    }

    [Fact]
    public async Task TopicNames_WithPathCharacters_RoundTripThroughReopen()
    {
        using var dir = new TempDirectory("store");
        var options = StoreHarness.Options(dir.Path);
        string[] topics = ["a/b\\c", "..", "%RETRY%group", "ü~x", new string('ж', 127)];
        await using (var store = await StoreHarness.OpenAsync(options))
        {
            foreach (var topic in topics)
            {
                Assert.Equal(AppendStatus.Ok, (await store.AppendAsync(topic, 0, StoreHarness.One(topic))).Status);
            }
        }

        await using var reopened = await StoreHarness.OpenAsync(options);
        Assert.Equal(topics.Order(StringComparer.Ordinal), reopened.ListQueues().Select(q => q.Topic));
        foreach (var topic in topics)
        {
            Assert.Equal([topic], StoreHarness.ReadAll(reopened, topic, 0).Select(r => r.Body));
        }
    }

    [Fact]
    public async Task OpenAsync_InvalidOptions_NameOptionValueAndRange()
    {
        using var dir = new TempDirectory("store");
        var options = StoreHarness.Options(dir.Path);
        options.SegmentSize = 1000;
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => MessageStore.OpenAsync(options));
        Assert.Contains("MessageStoreOptions.SegmentSize is 1000", ex.Message, StringComparison.Ordinal);
        Assert.Contains("allowed: [", ex.Message, StringComparison.Ordinal);

        options = StoreHarness.Options(dir.Path);
        options.DiskUsageHighWatermark = 1.5;
        ex = await Assert.ThrowsAsync<ArgumentException>(() => MessageStore.OpenAsync(options));
        Assert.Contains("MessageStoreOptions.DiskUsageHighWatermark is 1.5; allowed: (0, 1]", ex.Message, StringComparison.Ordinal);
    }

    private sealed class TagFilter(string tag, bool exactRejectsAll = false) : IMessageFilter
    {
        private readonly long _hash = TagHash.Compute(tag);

        public bool MayMatch(long tagHash) => tagHash == _hash;

        public bool Matches(StoredRecord record)
            => !exactRejectsAll && MessageProperties.TryGetValue(record.Properties, "TAGS"u8, out var value) && value.SequenceEqual(Encoding.UTF8.GetBytes(tag));
    }
}
