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
}
