using OrleansMq.Storage.Checkpoint;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

public sealed class CheckpointTests
{
    [Fact]
    public void CheckpointFile_NewestSlotTorn_FallsBackToPreviousSlot()
    {
        using var dir = new TempDirectory("checkpoint");
        var path = dir.Combine("checkpoint");
        using (var file = new CheckpointFile(path))
        {
            Assert.False(file.Found);
            file.Write(new CheckpointData(100, 90, 1, Clean: false));
            file.Write(new CheckpointData(200, 180, 2, Clean: true));
        }

        using (var reopened = new CheckpointFile(path))
        {
            Assert.Equal(new CheckpointData(200, 180, 2, Clean: true), reopened.Current);
        }

        // Sequence 2 went to slot 0 (2 % 2); tear it.
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 20;
            stream.WriteByte(0xFF);
        }

        using var torn = new CheckpointFile(path);
        Assert.True(torn.Found);
        Assert.Equal(new CheckpointData(100, 90, 1, Clean: false), torn.Current);
    }

    [Fact]
    public void CheckpointFile_Write_NeverMovesBackwards()
    {
        using var dir = new TempDirectory("checkpoint");
        using var file = new CheckpointFile(dir.Combine("checkpoint"));
        file.Write(new CheckpointData(500, 400, 9, Clean: false));
        file.Write(new CheckpointData(300, 200, 5, Clean: false));
        Assert.Equal(new CheckpointData(500, 400, 9, Clean: false), file.Current);
    }

    [Fact]
    public async Task OpenAsync_CorruptStoreMeta_RefusesToInventNewStoreId()
    {
        using var dir = new TempDirectory("checkpoint");
        var options = StoreHarness.Options(dir.Path);
        await using (var store = await StoreHarness.OpenAsync(options))
        {
            await store.AppendAsync("t", 0, StoreHarness.One("x"));
        }

        var meta = Path.Combine(dir.Path, StoreMetadata.FileName);
        var bytes = File.ReadAllBytes(meta);
        bytes[10] ^= 1;
        File.WriteAllBytes(meta, bytes);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => MessageStore.OpenAsync(options));
        Assert.Contains(StoreMetadata.FileName, ex.Message, StringComparison.Ordinal);
    }
    [Theory]
    [InlineData(true, 1L << 30, false)] // index due only after 60 s: the 10 s checkpoint stays at the last index flush
    [InlineData(true, 1L, true)] // over IndexFlushBytes: flushed with the 10 s checkpoint
    [InlineData(false, 1L << 30, true)] // no index: nothing holds the checkpoint back
    public async Task Checkpoint_IndexNotYetFlushed_ClaimsOnlyWhatTheLastIndexFlushCovered(bool indexEnabled, long indexFlushBytes, bool coveredAfterTenSeconds)
    {
        using var dir = new TempDirectory("checkpoint");
        var time = StoreHarness.FakeNow();
        var options = StoreHarness.Options(dir.Path);
        options.CheckpointInterval = TimeSpan.FromSeconds(10);
        options.IndexFlushInterval = TimeSpan.FromSeconds(60);
        options.IndexFlushBytes = indexFlushBytes;
        options.IndexEnabled = indexEnabled;
        await using var store = await StoreHarness.OpenAsync(options, time: time);
        var opened = ReadCheckpoint(dir);

        var result = await store.AppendAsync("t", 0, StoreHarness.One("keyed", StoreHarness.Props(("KEYS", "k1"))));
        Assert.Equal(AppendStatus.Ok, result.Status);
        var end = store.GetStatus().WrittenPosition;
        time.Advance(TimeSpan.FromSeconds(10));
        await Wait.UntilAsync(() => ReadCheckpoint(dir).DurableLogOffset == end, "the 10 s checkpoint", observed: () => ReadCheckpoint(dir).ToString());

        Assert.Equal(coveredAfterTenSeconds ? end : opened.DispatchedLogOffset, ReadCheckpoint(dir).DispatchedLogOffset);
        time.Advance(TimeSpan.FromSeconds(50));
        await Wait.UntilAsync(() => ReadCheckpoint(dir).DispatchedLogOffset == end, "the checkpoint after the index flush is due", observed: () => ReadCheckpoint(dir).ToString());
    }

    // The open store holds the file; parse a copy.
    private static CheckpointData ReadCheckpoint(TempDirectory dir)
    {
        var copy = dir.Combine($"checkpoint-copy-{Guid.NewGuid():N}");
        File.WriteAllBytes(copy, File.ReadAllBytes(dir.Combine("checkpoint")));
        using var file = new CheckpointFile(copy);
        return file.Current;
    }
}
