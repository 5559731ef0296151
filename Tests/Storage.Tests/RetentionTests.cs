using OrleansMq.Storage.Internal;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

public sealed class RetentionTests
{
    private const long SegmentSize = 8 * 1024;

    /// <summary>Fake clocks advance by hours here: no per-second checkpoint work while they do.</summary>
    private static readonly OrleansMq.Storage.Internal.StoreTestHooks QuietHooks = new() { CheckpointInterval = Timeout.InfiniteTimeSpan };

    [Fact]
    public async Task RunRetention_SegmentsOlderThanRetention_DeletedAfterReaderReleases()
    {
        using var dir = new TempDirectory("retention");
        var time = StoreHarness.FakeNow();
        var options = StoreHarness.Options(dir.Path, segmentSize: SegmentSize);
        options.Retention = TimeSpan.FromHours(2);
        options.RetentionCheckInterval = TimeSpan.FromHours(1);
        await using var store = await StoreHarness.OpenAsync(options, QuietHooks, time);
        await FillAsync(store, "old", 0, 40);
        var oldSegments = store.GetStatus().SegmentCount;
        time.Advance(TimeSpan.FromHours(1));
        await FillAsync(store, "new", 0, 40);
        var firstSegment = RecoveryTests.SegmentPath(dir.Path, 0);
        var hold = store.HoldSegment(0);
        Assert.NotNull(hold);

        var segmentsBefore = store.GetStatus().SegmentCount;

        time.Advance(TimeSpan.FromMinutes(61)); // The retention timer fires during the advance.
        store.RunRetention();
        var deleted = segmentsBefore - store.GetStatus().SegmentCount;

        // Every old segment whose successor starts with an old record goes; the last old one is bounded by a new record.
        Assert.Equal(oldSegments - 1, deleted);
        var status = store.GetStatus();
        Assert.Equal((oldSegments - 1) * SegmentSize, status.MinLogOffset);
        Assert.False(File.Exists(firstSegment));
        Assert.True(File.Exists(firstSegment + ".deleted"), "held segment is kept until its reader releases it");
        var range = store.GetQueueRange("old", 0);
        Assert.True(range.Min > 0, $"old queue min moved: {range}");
        var tooSmall = store.Read("old", 0, 0, 10, 1 << 20);
        Assert.Equal(ReadStatus.OffsetTooSmall, tooSmall.Status);
        Assert.Equal(range.Min, tooSmall.NextQueueOffset);
        Assert.Equal(range.Max - range.Min, StoreHarness.ReadAll(store, "old", 0, range.Min).Count);
        Assert.Equal(range.Min, store.GetQueueOffsetByTime("old", 0, 0));
        Assert.Equal(new QueueRange(0, 40), store.GetQueueRange("new", 0));

        hold!.Dispose();
        Assert.False(File.Exists(firstSegment + ".deleted"), "deleted once released");
    }

    [Fact]
    public async Task RunRetention_DiskAboveHighWatermark_DeletesOldestUntilBelow_NeverActiveSegment()
    {
        using var dir = new TempDirectory("retention");
        var options = StoreHarness.Options(dir.Path, segmentSize: SegmentSize);
        options.DiskUsageHighWatermark = 0.5;
        var commitlog = Path.Combine(dir.Path, "commitlog");
        // A 100-segment disk, 45 segments used by others: usage passes 50 % with more than 5 of our segments.
        var probe = new FakeDiskSpaceProbe(100 * SegmentSize, 0);
        probe.FreeFunction = () => probe.Total - (45 * SegmentSize) - FakeDiskSpaceProbe.Bytes(commitlog, includePrepared: true);
        await using var store = await StoreHarness.OpenAsync(options, new StoreTestHooks { DiskSpaceProbe = probe });
        await FillAsync(store, "w", 0, 90);
        var before = store.GetStatus().SegmentCount;
        Assert.True(before > 8, $"segments: {before}");
        var hold = store.HoldSegment(0);

        store.RunRetention();

        var after = store.GetStatus();
        Assert.True(after.SegmentCount < before, "something was deleted");
        Assert.True(after.SegmentCount >= 1);
        // The held file still takes space, so one more segment than otherwise had to go.
        Assert.True(File.Exists(Path.Combine(commitlog, "00000000000000000000.deleted")));
        Assert.True((double)(probe.Total - probe.FreeFunction!()) / probe.Total <= 0.5 + ((double)SegmentSize / probe.Total));
        hold!.Dispose();
        Assert.False(File.Exists(Path.Combine(commitlog, "00000000000000000000.deleted")));
        var range = store.GetQueueRange("w", 0);
        Assert.Equal(range.Max - range.Min, StoreHarness.ReadAll(store, "w", 0, range.Min).Count);
        Assert.Equal(AppendStatus.Ok, (await store.AppendAsync("w", 0, StoreHarness.One("still writable"))).Status);
    }

    [Fact]
    public async Task AppendAsync_FreeSpaceBelowMinimum_DiskFullNothingWritten_ResumesWhenSpaceReturns()
    {
        using var dir = new TempDirectory("diskfull");
        var options = StoreHarness.Options(dir.Path, segmentSize: SegmentSize);
        options.MinFreeDiskBytes = 100 << 20;
        var probe = new FakeDiskSpaceProbe(10L << 30, 5L << 30);
        var time = StoreHarness.FakeNow();
        await using var store = await StoreHarness.OpenAsync(options, new StoreTestHooks { DiskSpaceProbe = probe }, time);
        Assert.Equal(AppendStatus.Ok, (await store.AppendAsync("full", 0, StoreHarness.One("before"))).Status);

        probe.Free = 50 << 20;
        time.Advance(options.RetentionCheckInterval);
        var before = store.GetStatus();
        var rejected = await store.AppendAsync("full", 0, StoreHarness.Many(3, "rejected"));

        Assert.True(before.IsDiskFull);
        Assert.Equal(AppendStatus.DiskFull, rejected.Status);
        Assert.All(rejected.Messages, m => Assert.Equal(new MessageAppendResult(AppendStatus.DiskFull, -1, -1), m));
        Assert.Equal(before.WrittenPosition, store.GetStatus().WrittenPosition);
        Assert.Equal(new QueueRange(0, 1), store.GetQueueRange("full", 0));

        probe.Free = 1L << 30;
        time.Advance(options.RetentionCheckInterval);
        var accepted = await store.AppendAsync("full", 0, StoreHarness.One("after"));

        Assert.False(store.GetStatus().IsDiskFull);
        Assert.Equal(AppendStatus.Ok, accepted.Status);
        Assert.Equal(["before", "after"], StoreHarness.ReadAll(store, "full", 0).Select(r => r.Body));
    }

    [Fact]
    public async Task AppendAsync_NoRoomForNextSegment_DiskFullAtRoll()
    {
        using var dir = new TempDirectory("diskfull");
        var options = StoreHarness.Options(dir.Path, segmentSize: SegmentSize);
        options.MinFreeDiskBytes = 1 << 20;
        var commitlog = Path.Combine(dir.Path, "commitlog");
        var probe = new FakeDiskSpaceProbe(10L << 30, 0);
        // Segments count against the fake disk; a background-prepared next segment (sync policy) is ignored so the
        // outcome does not depend on whether that preparation won the race with the first append.
        probe.FreeFunction = () => (1 << 20) + SegmentSize + 100 - FakeDiskSpaceProbe.Bytes(commitlog, includePrepared: false);
        await using var store = await StoreHarness.OpenAsync(options, new StoreTestHooks { DiskSpaceProbe = probe });

        // The first segment fits; the second would take free space below the minimum.
        AppendResult last;
        var accepted = 0;
        do
        {
            last = await store.AppendAsync("roll", 0, StoreHarness.One(new string('r', 500)));
            accepted += last.Status == AppendStatus.Ok ? 1 : 0;
        }
        while (last.Status == AppendStatus.Ok && accepted < 100);

        Assert.Equal(AppendStatus.DiskFull, last.Status);
        Assert.Equal(1, store.GetStatus().SegmentCount);
        Assert.Equal(accepted, StoreHarness.ReadAll(store, "roll", 0).Count);
    }

    private static async Task FillAsync(MessageStore store, string topic, int queueId, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(AppendStatus.Ok, (await store.AppendAsync(topic, queueId, StoreHarness.One($"{topic}{i}-" + new string('f', 900)))).Status);
        }
    }
}
