using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Storage;
using OrleansMq.Grains.Persistence;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Unit;

public sealed class FileGrainStorageTests : IDisposable
{
    private readonly TempDirectory _directory = new("orleansmq-state");

    private FileGrainStorage CreateStorage() => new(
        "test",
        new FileGrainStorageOptions { Directory = _directory.Path },
        new JsonLikeSerializer(),
        NullLogger<FileGrainStorage>.Instance);

    [Fact]
    public async Task WriteThenRead_NewInstance_SeesStateAndETag()
    {
        var grainId = GrainId.Create("topicroute", "orders|with/odd%chars");
        var state = new GrainState<Dictionary<string, string>> { State = new() { ["a"] = "1" } };
        await CreateStorage().WriteStateAsync("route", grainId, state);
        Assert.Equal("1", state.ETag);

        var read = new GrainState<Dictionary<string, string>>();
        await CreateStorage().ReadStateAsync("route", grainId, read);
        Assert.True(read.RecordExists);
        Assert.Equal("1", read.State!["a"]);
        Assert.Equal("1", read.ETag);
        Assert.Empty(Directory.GetFiles(_directory.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Write_FileSystemBlocks_CallerThreadIsNotHeld()
    {
        // State writes wait for device flushes; on a thread-pool thread that stalled every grain of the silo. A FIFO
        // in place of the state file makes the write's first open block until someone opens the other end.
        var grainId = GrainId.Create("consumergroup", "blocked");
        var storage = CreateStorage();
        var state = new GrainState<Dictionary<string, string>> { State = new() { ["offset"] = "1" } };
        await storage.WriteStateAsync("offsets", grainId, state);
        var path = Assert.Single(Directory.GetFiles(_directory.Path, "*.state", SearchOption.AllDirectories));
        File.Delete(path);
        Assert.Equal(0, MakeFifo(path, Convert.ToUInt32("600", 8)));

        Task? write = null;
        var caller = new Thread(() => write = storage.WriteStateAsync("offsets", grainId, state)) { IsBackground = true };
        caller.Start();
        var returned = caller.Join(TimeSpan.FromSeconds(10));
        using (var unblock = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            unblock.Write(new byte[16]); // a header of version 0: the write's ETag "1" no longer matches
        }

        Assert.True(returned, "WriteStateAsync held the calling thread while the file system blocked");
        Assert.NotNull(write);
        await Assert.ThrowsAsync<InconsistentStateException>(() => write.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo(string path, uint mode);

    [Fact]
    public async Task Read_Missing_ReturnsDefaultState()
    {
        var read = new GrainState<Dictionary<string, string>>();
        await CreateStorage().ReadStateAsync("route", GrainId.Create("t", "none"), read);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.NotNull(read.State);
    }

    [Fact]
    public async Task Write_StaleETag_ThrowsInconsistentState()
    {
        var grainId = GrainId.Create("t", "k");
        var first = new GrainState<Dictionary<string, string>> { State = [] };
        var second = new GrainState<Dictionary<string, string>> { State = [] };
        var storage = CreateStorage();
        await storage.WriteStateAsync("s", grainId, first);
        await storage.WriteStateAsync("s", grainId, first);
        Assert.Equal("2", first.ETag);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("s", grainId, second));
        second.ETag = "1";
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("s", grainId, second));
    }

    [Fact]
    public async Task Clear_RemovesState()
    {
        var grainId = GrainId.Create("t", "k");
        var state = new GrainState<Dictionary<string, string>> { State = new() { ["x"] = "y" } };
        var storage = CreateStorage();
        await storage.WriteStateAsync("s", grainId, state);
        await storage.ClearStateAsync("s", grainId, state);

        var read = new GrainState<Dictionary<string, string>>();
        await storage.ReadStateAsync("s", grainId, read);
        Assert.False(read.RecordExists);
    }

    [Fact]
    public void Escape_IsInjectiveAndFileSystemSafe()
    {
        Assert.NotEqual(FileGrainStorage.Escape("a/b"), FileGrainStorage.Escape("a%2Fb"));
        Assert.DoesNotContain('/', FileGrainStorage.Escape("topic/x|y"));
        Assert.True(FileGrainStorage.Escape(new string('z', 500)).Length <= 200);
        Assert.NotEqual(FileGrainStorage.Escape(new string('z', 500)), FileGrainStorage.Escape(new string('z', 501)));
    }

    public void Dispose() => _directory.Dispose();

    /// <summary>A stand-in serializer for unit tests (the silo uses Orleans' binary serializer).</summary>
    private sealed class JsonLikeSerializer : IGrainStorageSerializer
    {
        public BinaryData Serialize<T>(T? input) => BinaryData.FromObjectAsJson(input);

        public T Deserialize<T>(BinaryData input) => input.ToObjectFromJson<T>()!;
    }
}
