using System.Buffers.Binary;
using OrleansMq.Storage.Index;
using OrleansMq.Storage.Internal;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

/// <summary>Consume queue and index entries kept in memory blocks until persisted (<see cref="EntryRegion"/>, <see cref="IndexFile"/>).</summary>
public sealed class WriteBackTests
{
    private const int EntrySize = 20;

    [Fact]
    public void EntryRegion_WritesAcrossGrowingBlocks_ReadBackFromMemoryAndFileAndAfterReopen()
    {
        using var dir = new TempDirectory("writeback");
        var path = dir.Combine("region");
        const int count = 5_000; // Blocks of 204, 408, 816, 819... entries: several full blocks plus a partial one.
        using (var handle = OpenSized(path, 16 + (count * EntrySize)))
        {
            var region = new EntryRegion(handle, 16, EntrySize, count, 16 * 1024);
            for (var i = 0; i < count; i++)
            {
                region.Write(i, Entry(i));
            }

            Assert.True(region.BufferedBytes is > 0 and <= 16 * 1024, $"buffered {region.BufferedBytes} bytes");

            // One read spanning entries already in the file and entries still only in memory.
            var all = new byte[count * EntrySize];
            region.Read(0, all);
            AssertEntries(all, 0, count);
            var tail = new byte[10 * EntrySize];
            region.Read(count - 10, tail);
            AssertEntries(tail, count - 10, 10);

            Assert.True(region.Persist());
            region.Sync();
            Assert.False(region.Persist());
        }

        using var reopened = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        var fresh = new EntryRegion(reopened, 16, EntrySize, count, 16 * 1024);
        var back = new byte[count * EntrySize];
        fresh.Read(0, back);
        AssertEntries(back, 0, count);
        Assert.Equal(16 + (count * EntrySize), RandomAccess.GetLength(reopened));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EntryRegion_WriteBack_LeavesTheSyncDue_AndTheEntriesReadBackAfterIt(bool paced)
    {
        using var dir = new TempDirectory("writeback");
        var path = dir.Combine("region");
        const int count = 1_000;
        using (var handle = OpenSized(path, count * EntrySize))
        {
            var region = new EntryRegion(handle, 0, EntrySize, count, 16 * 1024);
            region.WriteBack(paced); // Nothing written yet: nothing to write back, no failure.
            for (var i = 0; i < count; i++)
            {
                region.Write(i, Entry(i));
            }

            Assert.True(region.Persist());
            region.WriteBack(paced);

            // Written back is not durable: the checkpoint's fdatasync is still due.
            Assert.True(region.Persist());
            region.Sync();
            Assert.False(region.Persist());
        }

        using var reopened = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var back = new byte[count * EntrySize];
        new EntryRegion(reopened, 0, EntrySize, count, 16 * 1024).Read(0, back);
        AssertEntries(back, 0, count);
    }

    [Fact]
    public void EntryRegion_FullBlockPersisted_MemoryReleasedAndNextBlockLarger()
    {
        using var dir = new TempDirectory("writeback");
        using var handle = OpenSized(dir.Combine("region"), 10_000 * EntrySize);
        var region = new EntryRegion(handle, 0, EntrySize, 10_000, 16 * 1024);
        var first = EntryRegion.MinBlockBytes / EntrySize;
        for (var i = 0; i < first; i++)
        {
            region.Write(i, Entry(i));
        }

        Assert.Equal(first * EntrySize, region.BufferedBytes);
        region.Persist();
        Assert.Equal(0, region.BufferedBytes);

        region.Write(first, Entry(first));
        Assert.Equal(2 * first * EntrySize, region.BufferedBytes);
        var both = new byte[(first + 1) * EntrySize];
        region.Read(0, both);
        AssertEntries(both, 0, first + 1);
    }

    [Fact]
    public void EntryRegion_Truncate_ErasesMemoryAndFileAndContinuesThere()
    {
        using var dir = new TempDirectory("writeback");
        const int capacity = 3_000;
        using var handle = OpenSized(dir.Combine("region"), capacity * EntrySize);
        var region = new EntryRegion(handle, 0, EntrySize, capacity, 16 * 1024);
        for (var i = 0; i < 2_000; i++)
        {
            region.Write(i, Entry(i));
        }

        region.Persist(); // Entries below 2,000 are in the file; cut inside that and inside the memory block.
        for (var i = 2_000; i < 2_100; i++)
        {
            region.Write(i, Entry(i));
        }

        region.Truncate(1_500);

        var bytes = new byte[capacity * EntrySize];
        region.Read(0, bytes);
        AssertEntries(bytes, 0, 1_500);
        Assert.True(bytes.AsSpan(1_500 * EntrySize).IndexOfAnyExcept((byte)0) < 0, "entries from 1,500 on read as zeros");
        Assert.Equal(capacity * EntrySize, RandomAccess.GetLength(handle));
        Assert.Equal(-1, region.FindFirstWritten(1_500));

        region.Write(1_500, Entry(7_777));
        var one = new byte[EntrySize];
        region.Read(1_500, one);
        Assert.Equal(7_777, BinaryPrimitives.ReadInt32LittleEndian(one));

        // Nothing beyond the cut survives in the file either.
        region.Persist();
        region.Sync();
        var file = new byte[capacity * EntrySize];
        RandomAccess.Read(handle, file, 0);
        Assert.True(file.AsSpan(1_501 * EntrySize).IndexOfAnyExcept((byte)0) < 0, "the file holds nothing past the rewritten entry");
    }

    [Fact]
    public void EntryRegion_ReplayRewritesOlderEntries_InMemoryAndInTheFile()
    {
        using var dir = new TempDirectory("writeback");
        using var handle = OpenSized(dir.Combine("region"), 2_000 * EntrySize);
        var region = new EntryRegion(handle, 0, EntrySize, 2_000, 16 * 1024);
        for (var i = 0; i < 1_000; i++)
        {
            region.Write(i, Entry(i));
        }

        region.Persist();
        region.Write(5, Entry(50_005)); // Below the current block: straight to the file.
        region.Write(999, Entry(50_999)); // Inside the current block, already persisted: written again.
        region.Persist();

        var file = new byte[1_000 * EntrySize];
        RandomAccess.Read(handle, file, 0);
        Assert.Equal(50_005, BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(5 * EntrySize)));
        Assert.Equal(50_999, BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(999 * EntrySize)));
    }

    [Fact]
    public async Task EntryRegion_ReaderBesideWriterAndCheckpoint_SeesEveryPublishedEntry()
    {
        using var dir = new TempDirectory("writeback");
        const int count = 200_000;
        using var handle = OpenSized(dir.Combine("region"), count * EntrySize);
        var region = new EntryRegion(handle, 0, EntrySize, count, 16 * 1024);
        long published = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < count; i++)
            {
                region.Write(i, Entry(i));
                Volatile.Write(ref published, i + 1);
            }
        });
        var checkpoint = Task.Run(() =>
        {
            while (!writer.IsCompleted && !stop.IsCancellationRequested)
            {
                region.Persist();
            }
        });

        var buffer = new byte[64 * EntrySize];
        var reads = 0;
        while (!writer.IsCompleted)
        {
            Assert.False(stop.IsCancellationRequested, "the writer did not store 200,000 entries within 60 s");
            var max = Volatile.Read(ref published);
            var from = Math.Max(0, max - 64);
            var length = (int)(max - from);
            region.Read(from, buffer.AsSpan(0, length * EntrySize));
            AssertEntries(buffer.AsSpan(0, length * EntrySize), from, length);
            reads++;
        }

        await Wait.ForAsync(Task.WhenAll(writer, checkpoint), "the writer and the checkpoint loop");
        Assert.True(reads > 0);
    }

    [Fact]
    public async Task IndexFile_FlushBesidePuts_WritesSlotsAndHeaderOfOneEntryCount()
    {
        using var dir = new TempDirectory("writeback");
        var path = dir.Combine("index");
        const int keys = 1_000;
        const int slots = 1 << 20; // Copying 4 MiB of slots takes long enough for puts to land meanwhile.
        const int capacity = 2_000_000;
        var file = new IndexFile(path, 0, slots, capacity);
        var snapshots = 0;
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < capacity && Volatile.Read(ref snapshots) < 4; i++)
            {
                Assert.True(file.Put(HashOf(i % keys), i, 1_700_000_000_000));
            }
        });
        await Wait.UntilAsync(() => file.EntryCount >= 10_000 || writer.IsCompleted, "the writer's first 10,000 puts");

        while (Volatile.Read(ref snapshots) < 4)
        {
            file.Flush();
            var copy = dir.Combine($"copy-{snapshots}");
            File.Copy(path, copy);
            Interlocked.Increment(ref snapshots);
            var image = new IndexFile(copy, 0, slots, capacity);
            try
            {
                // Each key's slot in the copy names its newest entry within the copy's count (not a later one).
                var count = image.EntryCount;
                Assert.True(count >= 10_000, $"count {count}");
                for (var key = 0; key < keys; key++)
                {
                    var found = new List<long>();
                    image.Find(HashOf(key), 0, long.MaxValue, found, max: key < 3 ? int.MaxValue : 1);
                    var newest = ((count - 1 - key) / keys * keys) + key;
                    var expected = Enumerable.Range(0, (newest / keys) + 1).Select(n => (long)(newest - (n * keys)));
                    Assert.Equal(key < 3 ? expected : expected.Take(1), found);
                }
            }
            finally
            {
                image.Retire();
                File.Delete(copy);
            }
        }

        await Wait.ForAsync(writer, "the index writer");
        file.Retire();
    }

    private static int HashOf(int key) => key * 1_049; // 1,000 keys spread over every 16 Ki-slot chunk of 1 Mi slots.

    private static byte[] Entry(long i)
    {
        var bytes = new byte[EntrySize];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)i);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(4), ~i);
        bytes[19] = 0xA5;
        return bytes;
    }

    private static void AssertEntries(ReadOnlySpan<byte> bytes, long first, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var entry = bytes.Slice(i * EntrySize, EntrySize);
            var expected = Entry(first + i);
            if (!entry.SequenceEqual(expected))
            {
                Assert.Fail($"entry {first + i}: read {Convert.ToHexString(entry)}, wrote {Convert.ToHexString(expected)}");
            }
        }
    }

    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenSized(string path, long length)
    {
        var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        RandomAccess.SetLength(handle, length);
        return handle;
    }
}
