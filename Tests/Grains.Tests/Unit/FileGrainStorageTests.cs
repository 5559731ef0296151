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
