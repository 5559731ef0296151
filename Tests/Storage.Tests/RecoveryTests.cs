using OrleansMq.Storage.Flush;
using OrleansMq.Storage.Internal;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

public sealed class RecoveryTests
{
    private static readonly StoreTestHooks NoPeriodicCheckpoint = new() { CheckpointInterval = Timeout.InfiniteTimeSpan };

    /// <summary>A crash image: a durable, checkpointed prefix, then tail records written after the last checkpoint.</summary>
    private static async Task<(List<Written> Prefix, List<Written> Tail)> BuildCrashImageAsync(string live, string image, string topic, int prefixCount, int tailCount)
    {
        var options = StoreHarness.Options(live);
        var prefix = new List<Written>();
        await using (var store = await StoreHarness.OpenAsync(options, NoPeriodicCheckpoint))
        {
            for (var i = 0; i < prefixCount; i++)
            {
                prefix.Add(await AppendOneAsync(store, topic, i % 2, $"p{i}"));
            }
        }

        var tail = new List<Written>();
        await using (var store = await StoreHarness.OpenAsync(options, NoPeriodicCheckpoint))
        {
            for (var i = 0; i < tailCount; i++)
            {
                tail.Add(await AppendOneAsync(store, topic, i % 2, $"t{i}"));
            }

            // The queue entries of the tail reach the files (a block filled, or the OS wrote them back), the checkpoint not.
            store.FlushConsumeQueues();
            StoreHarness.CopyDirectory(live, image);
        }

        return (prefix, tail);
    }

    [Fact]
    public async Task OpenAsync_LogTruncatedAtEveryByteOfTail_KeepsExactlyTheCompletePrefix()
    {
        using var dir = new TempDirectory("recovery");
        var topic = "trunc";
        var image = dir.Combine("image");
        var (prefix, tail) = await BuildCrashImageAsync(dir.Combine("live"), image, topic, prefixCount: 6, tailCount: 4);
        var all = prefix.Concat(tail).ToList();
        var from = tail[0].LogOffset;
        var to = tail[^1].LogOffset + tail[^1].Size;

        for (var cut = from; cut <= to; cut++)
        {
            var copy = dir.Combine($"cut-{cut}");
            StoreHarness.CopyDirectory(image, copy);
            TruncateLog(copy, cut);
            var expected = all.Where(w => w.LogOffset + w.Size <= cut).ToList();

            // Recovery is the same under both policies; async keeps ~300 reopen cycles free of per-append fsyncs.
            await using (var store = await StoreHarness.OpenAsync(StoreHarness.Options(copy, flush: FlushPolicy.Async(TimeSpan.FromHours(1))), NoPeriodicCheckpoint))
            {
                Assert.Equal(expected[^1].LogOffset + expected[^1].Size, store.GetStatus().WrittenPosition);
                for (var queue = 0; queue < 2; queue++)
                {
                    var want = expected.Where(w => w.QueueId == queue).Select(w => (w.QueueOffset, w.Body)).ToList();
                    var got = StoreHarness.ReadAll(store, topic, queue).Select(r => (r.QueueOffset, r.Body)).ToList();
                    Assert.True(want.SequenceEqual(got), $"cut at {cut}, queue {queue}: expected [{string.Join(", ", want)}] but read [{string.Join(", ", got)}]");
                    Assert.Equal(new QueueRange(0, want.Count), store.GetQueueRange(topic, queue));
                }

                var next = await AppendOneAsync(store, topic, 0, "after");
                Assert.Equal(expected.Count(w => w.QueueId == 0), next.QueueOffset);
                Assert.Equal(expected[^1].LogOffset + expected[^1].Size, next.LogOffset);
                Assert.Equal("after", StoreHarness.ReadAll(store, topic, 0, next.QueueOffset).Single().Body);
            }

            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task OpenAsync_TruncatedBelowCheckpointedDurablePosition_ThrowsCorruptLog()
    {
        using var dir = new TempDirectory("recovery");
        var image = dir.Combine("image");
        var (prefix, _) = await BuildCrashImageAsync(dir.Combine("live"), image, "t", prefixCount: 4, tailCount: 1);
        TruncateLog(image, prefix[2].LogOffset + 3);

        var ex = await Assert.ThrowsAsync<CorruptLogException>(() => MessageStore.OpenAsync(StoreHarness.Options(image)));

        Assert.Equal(prefix[2].LogOffset, ex.Offset);
        Assert.EndsWith("00000000000000000000", ex.File, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_BitFlipInLastRecordAfterCrash_TruncatesThatRecord()
    {
        using var dir = new TempDirectory("recovery");
        var image = dir.Combine("image");
        var (prefix, tail) = await BuildCrashImageAsync(dir.Combine("live"), image, "flip", prefixCount: 3, tailCount: 3);
        FlipBit(image, tail[^1].LogOffset + tail[^1].Size - 2);

        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(image), NoPeriodicCheckpoint);

        Assert.Equal(tail[^1].LogOffset, store.GetStatus().WrittenPosition);
        var expected = prefix.Concat(tail.Take(2)).Where(w => w.QueueId == 0).Select(w => w.Body);
        Assert.Equal(expected, StoreHarness.ReadAll(store, "flip", 0).Select(r => r.Body));
        var next = await AppendOneAsync(store, "flip", 0, "again");
        Assert.Equal(tail[^1].LogOffset, next.LogOffset);
    }

    [Fact]
    public async Task OpenAsync_BitFlipInMiddleAfterCleanClose_ThrowsNamingFileAndOffset()
    {
        using var dir = new TempDirectory("recovery");
        var options = StoreHarness.Options(dir.Path, segmentSize: 8 * 1024);
        var written = new List<Written>();
        await using (var store = await StoreHarness.OpenAsync(options))
        {
            for (var i = 0; i < 100; i++)
            {
                written.Add(await AppendOneAsync(store, "mid", 0, $"m{i}-" + new string('x', 100)));
            }
        }

        // The newest segment is re-verified at every open; pick a record there that has valid records after it.
        var victim = written[^5];
        FlipBit(dir.Path, victim.LogOffset + 70);

        var ex = await Assert.ThrowsAsync<CorruptLogException>(() => MessageStore.OpenAsync(options));

        Assert.Equal(victim.LogOffset, ex.Offset);
        Assert.Equal(SegmentPath(dir.Path, victim.LogOffset), ex.File);
        Assert.Contains(victim.LogOffset.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_BitFlipInUncheckpointedRecordFollowedByValidOnes_ThrowsCorruptLog()
    {
        using var dir = new TempDirectory("recovery");
        var image = dir.Combine("image");
        var (_, tail) = await BuildCrashImageAsync(dir.Combine("live"), image, "midtail", prefixCount: 2, tailCount: 4);
        FlipBit(image, tail[1].LogOffset + 66);

        var ex = await Assert.ThrowsAsync<CorruptLogException>(() => MessageStore.OpenAsync(StoreHarness.Options(image)));

        Assert.Equal(tail[1].LogOffset, ex.Offset);
        Assert.Contains($"valid record follows at log offset {tail[2].LogOffset}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_ConsumeQueuesAndCheckpointLost_RebuildsQueuesAndIndexesFromLog()
    {
        using var dir = new TempDirectory("recovery");
        var options = StoreHarness.Options(dir.Path, segmentSize: 8 * 1024);
        await using (var store = await StoreHarness.OpenAsync(options))
        {
            for (var i = 0; i < 30; i++)
            {
                await store.AppendAsync("rebuild", i % 3, StoreHarness.One($"r{i}", StoreHarness.Props(("KEYS", $"key{i}"), ("UNIQ_KEY", $"u{i}"))));
            }
        }

        Directory.Delete(Path.Combine(dir.Path, "consumequeue"), recursive: true);
        Directory.Delete(Path.Combine(dir.Path, "index"), recursive: true);
        File.Delete(Path.Combine(dir.Path, "checkpoint"));

        await using var reopened = await StoreHarness.OpenAsync(options);
        Assert.Equal(3, reopened.ListQueues().Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"r{(i * 3) + 1}"), StoreHarness.ReadAll(reopened, "rebuild", 1).Select(r => r.Body));
        Assert.Equal("r17", System.Text.Encoding.UTF8.GetString(reopened.QueryByKey("rebuild", "key17", 10, 0, long.MaxValue).Single().Body.Span));
        Assert.Single(reopened.QueryByUniqueKey("rebuild", "u29"));
    }

    [Fact]
    public async Task OpenAsync_ConsumeQueueAheadOfLog_DropsEntriesPastRecoveredEnd()
    {
        using var dir = new TempDirectory("recovery");
        var image = dir.Combine("image");
        var (prefix, tail) = await BuildCrashImageAsync(dir.Combine("live"), image, "ahead", prefixCount: 2, tailCount: 4);
        // The consume queue files in the image already hold entries for every tail record (BuildCrashImageAsync);
        // cut the log before the tail so those entries point past the recovered end.
        TruncateLog(image, tail[0].LogOffset + 10);

        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(image), NoPeriodicCheckpoint);

        Assert.Equal(new QueueRange(0, 1), store.GetQueueRange("ahead", 0));
        Assert.Equal(new QueueRange(0, 1), store.GetQueueRange("ahead", 1));
        var next = await AppendOneAsync(store, "ahead", 1, "n");
        Assert.Equal(1, next.QueueOffset);
        Assert.Equal([prefix[1].Body, "n"], StoreHarness.ReadAll(store, "ahead", 1).Select(r => r.Body));
    }

    internal readonly record struct Written(int QueueId, long QueueOffset, long LogOffset, int Size, string Body);

    private static async Task<Written> AppendOneAsync(MessageStore store, string topic, int queueId, string body)
    {
        var result = await store.AppendAsync(topic, queueId, StoreHarness.One(body));
        Assert.Equal(AppendStatus.Ok, result.Status);
        var message = result.Messages[0];
        Assert.True(store.TryReadMessage(message.LogOffset, out var stored));
        return new Written(queueId, message.QueueOffset, message.LogOffset, stored.StoredSize, body);
    }

    internal static string SegmentPath(string storeDirectory, long logOffset)
    {
        var segments = LogFiles(storeDirectory);
        return segments.Last(s => long.Parse(Path.GetFileName(s), System.Globalization.CultureInfo.InvariantCulture) <= logOffset);
    }

    /// <summary>Cuts the log at an absolute offset: the containing segment is truncated, later ones removed.</summary>
    internal static void TruncateLog(string storeDirectory, long logOffset)
    {
        var path = SegmentPath(storeDirectory, logOffset);
        var start = long.Parse(Path.GetFileName(path), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var later in LogFiles(storeDirectory).Where(s => string.CompareOrdinal(s, path) > 0))
        {
            File.Delete(later);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(logOffset - start);
    }

    /// <summary>Segment files (20-digit names; not .prepared or .deleted ones), in log order.</summary>
    internal static string[] LogFiles(string storeDirectory)
        => [.. Directory.GetFiles(Path.Combine(storeDirectory, "commitlog")).Where(f => Path.GetFileName(f).Length == 20).Order(StringComparer.Ordinal)];

    internal static void FlipBit(string storeDirectory, long logOffset)
    {
        var path = SegmentPath(storeDirectory, logOffset);
        var start = long.Parse(Path.GetFileName(path), System.Globalization.CultureInfo.InvariantCulture);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = logOffset - start;
        var value = stream.ReadByte();
        stream.Position = logOffset - start;
        stream.WriteByte((byte)(value ^ 0x10));
    }
}
