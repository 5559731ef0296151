using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.Internal;
using OrleansMq.Storage.CommitLog;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

/// <summary>
/// The commit log and the OS page cache: <c>LogCacheBytes</c> drops durable log further behind the end than the window,
/// and under sync the writer starts writeback of what it wrote before the flusher's fdatasync.
/// </summary>
public sealed partial class PageCacheTests
{
    private const long Window = 4L << 20;
    private const int BodySize = 4000;

    [Fact]
    public async Task Append_PastTheCacheWindow_OldLogLeavesThePageCacheNewestStaysAndOldRecordsStillRead()
    {
        using var dir = new TempDirectory("cache");
        var options = StoreHarness.Options(dir.Path, segmentSize: 64L << 20);
        options.MaxBodySize = BodySize;
        options.LogCacheBytes = Window;
        await using var store = await StoreHarness.OpenAsync(options);
        var topic = StoreHarness.Topic("cache");
        var durable = await AppendAsync(store, topic, 24L << 20);
        var segment = SegmentPath(dir.Path);

        // Dropped on the thread pool after a flush, in steps of 8 MiB: the first 8 MiB go once 16 MiB are durable.
        await Wait.UntilAsync(() => ResidentFraction(segment, 0, PageCacheTrimmer.Step) < 0.05,
            "the first 8 MiB of the log to leave the page cache", observed: () => $"resident fraction {ResidentFraction(segment, 0, PageCacheTrimmer.Step):F2}");
        Assert.True(ResidentFraction(segment, durable - Window, Window) > 0.95, "the newest window must stay cached");

        var first = store.Read(topic, 0, 0, 1, 1 << 20);
        Assert.Equal(ReadStatus.Found, first.Status);
        Assert.Equal("body-0-0", StoreHarness.Records(first)[0].Body[..8]);
    }

    [Fact]
    public async Task Append_CacheWindowZero_NothingIsDropped()
    {
        using var dir = new TempDirectory("cache");
        var options = StoreHarness.Options(dir.Path, segmentSize: 64L << 20);
        options.MaxBodySize = BodySize;
        options.LogCacheBytes = 0;
        await using var store = await StoreHarness.OpenAsync(options);
        var durable = await AppendAsync(store, StoreHarness.Topic("cache"), 24L << 20);

        Assert.True(ResidentFraction(SegmentPath(dir.Path), 0, durable) > 0.95, "with LogCacheBytes = 0 the written log stays cached");
    }

    [Fact]
    public async Task OpenAsync_NegativeLogCacheBytes_RefusedNamingTheOption()
    {
        using var dir = new TempDirectory("cache");
        var options = StoreHarness.Options(dir.Path);
        options.LogCacheBytes = -1;

        var error = await Assert.ThrowsAsync<ArgumentException>(() => MessageStore.OpenAsync(options));

        Assert.Contains("MessageStoreOptions.LogCacheBytes is -1; allowed: [0, ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Append_Sync_WriterHandsEachWrittenRangeToWritebackOnceInOrderBeforeTheFlush()
    {
        using var dir = new TempDirectory("writeback");
        var ranges = new List<(long Offset, long Length)>();
        var hooks = new StoreTestHooks { BeforeWriteback = (offset, length) => { lock (ranges) { ranges.Add((offset, length)); } } };
        var options = StoreHarness.Options(dir.Path, segmentSize: 64L << 20);
        options.MaxBodySize = BodySize;
        await using var store = await StoreHarness.OpenAsync(options, hooks);
        var durable = await AppendAsync(store, StoreHarness.Topic("writeback"), 4L << 20);

        (long Offset, long Length)[] seen;
        lock (ranges)
        {
            seen = [.. ranges];
        }

        Assert.NotEmpty(seen);
        Assert.Equal(0, seen[0].Offset);
        for (var i = 0; i < seen.Length; i++)
        {
            Assert.True(seen[i].Length >= CommitLog.CommitLogWriter.WritebackBytes, $"range {i} of {seen[i].Length} bytes is under the {CommitLog.CommitLogWriter.WritebackBytes}-byte step");
            Assert.True(i == 0 || seen[i].Offset == seen[i - 1].Offset + seen[i - 1].Length, $"range {i} at {seen[i].Offset} does not follow the previous one");
        }

        var end = seen[^1].Offset + seen[^1].Length;
        Assert.True(end <= durable && durable - end < CommitLog.CommitLogWriter.WritebackBytes + (1 << 20), $"writeback reached {end} of {durable} durable bytes");
    }

    [Fact]
    public async Task Append_Async_NoWritebackIsStartedBetweenFlushes()
    {
        using var dir = new TempDirectory("writeback");
        var calls = 0;
        var hooks = new StoreTestHooks { BeforeWriteback = (_, _) => Interlocked.Increment(ref calls) };
        var options = StoreHarness.Options(dir.Path, segmentSize: 64L << 20, flush: Flush.FlushPolicy.Async(TimeSpan.FromMilliseconds(10)));
        options.MaxBodySize = BodySize;
        await using var store = await StoreHarness.OpenAsync(options, hooks);

        await AppendAsync(store, StoreHarness.Topic("writeback"), 2L << 20);

        Assert.Equal(0, Volatile.Read(ref calls));
    }

    /// <summary>Appends batches of 64 × 4,000-byte bodies until <paramref name="bytes"/> are durable; returns the durable position.</summary>
    private static async Task<long> AppendAsync(MessageStore store, string topic, long bytes)
    {
        var padding = new string('x', BodySize - 32);
        for (var batch = 0; store.GetStatus().DurablePosition < bytes; batch++)
        {
            var writer = new ArrayBufferWriter<byte>();
            for (var i = 0; i < 64; i++)
            {
                MessageBatchWriter.Write(writer, 1_700_000_000_000, MessageFlags.None, [], Encoding.UTF8.GetBytes($"body-{batch}-{i}-{padding}"));
            }

            var result = await Wait.ForAsync(store.AppendAsync(topic, 0, writer.WrittenMemory).AsTask(), $"batch {batch}");
            Assert.Equal(AppendStatus.Ok, result.Status);
        }

        return store.GetStatus().DurablePosition;
    }

    private static string SegmentPath(string directory) => Path.Combine(directory, "commitlog", CommitLog.CommitLog.SegmentName(0));

    /// <summary>Fraction of the file's pages in [offset, offset + length) that are in the page cache (mincore).</summary>
    private static double ResidentFraction(string path, long offset, long length)
    {
        using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = file.CreateViewAccessor(offset, length, MemoryMappedFileAccess.Read);
        var pageSize = Environment.SystemPageSize;
        var start = view.SafeMemoryMappedViewHandle.DangerousGetHandle() + (nint)view.PointerOffset;
        var aligned = start & ~(nint)(pageSize - 1);
        var pages = (int)((start - aligned + length + pageSize - 1) / pageSize);
        var vector = new byte[pages];
        var error = mincore(aligned, (nuint)(pages * (long)pageSize), vector);
        Assert.True(error == 0, $"mincore failed: errno {Marshal.GetLastPInvokeError()}");
        return vector.Count(static b => (b & 1) != 0) / (double)pages;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mincore(nint address, nuint length, [Out] byte[] vector);
}
