using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansMq.Grains.Persistence;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.Silo.Cluster;
using OrleansMq.TestKit.Postgres;

namespace OrleansMq.Process.Tests.Schema;

/// <summary>The grain-state part of the schema, driven through Orleans' own ADO.NET grain storage with the silo's serializer.</summary>
[Trait("Suite", "SlowBVT")]
[Trait("Area", "Cluster")]
public sealed class GrainStorageTests(PostgresServerFixture postgres)
{
    private static readonly GrainId RouteOfOrders = GrainId.Create("topic-route", "orders");

    [Fact]
    public async Task Read_NothingWritten_GivesDefaultStateWithoutETag()
    {
        var storage = await CreateStorageAsync();
        var state = new Counters();

        await storage.ReadStateAsync("topic-route", RouteOfOrders, state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Empty(state.State);
    }

    [Fact]
    public async Task Write_ThenRead_RoundTripsStateAndETag()
    {
        var storage = await CreateStorageAsync();
        var written = State(("orders/0", 42));

        await storage.WriteStateAsync("topic-route", RouteOfOrders, written);
        var read = new Counters();
        await storage.ReadStateAsync("topic-route", RouteOfOrders, read);

        Assert.Equal("1", written.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal("1", read.ETag);
        Assert.Equal(42, read.State["orders/0"]);
    }

    [Fact]
    public async Task Write_WithTheCurrentETag_IncrementsIt()
    {
        var storage = await CreateStorageAsync();
        var state = State(("a", 1));
        await storage.WriteStateAsync("topic-route", RouteOfOrders, state);

        state.State["a"] = 2;
        await storage.WriteStateAsync("topic-route", RouteOfOrders, state);

        Assert.Equal("2", state.ETag);
        var read = new Counters();
        await storage.ReadStateAsync("topic-route", RouteOfOrders, read);
        Assert.Equal(2, read.State["a"]);
    }

    [Fact]
    public async Task Write_WithAStaleETag_IsAConflictAndKeepsTheNewerState()
    {
        var storage = await CreateStorageAsync();
        var first = State(("a", 1));
        await storage.WriteStateAsync("topic-route", RouteOfOrders, first);
        var stale = State(("a", 99));
        stale.ETag = first.ETag;
        first.State["a"] = 2;
        await storage.WriteStateAsync("topic-route", RouteOfOrders, first);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("topic-route", RouteOfOrders, stale));

        var read = new Counters();
        await storage.ReadStateAsync("topic-route", RouteOfOrders, read);
        Assert.Equal(2, read.State["a"]);
        Assert.Equal("2", read.ETag);
    }

    [Fact]
    public async Task Write_TwoFirstWritersAtOnce_OneWinsTheOtherConflicts()
    {
        var storage = await CreateStorageAsync();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            try
            {
                await storage.WriteStateAsync("topic-route", RouteOfOrders, State(("writer", i)));
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        })));

        Assert.Single(outcomes, won => won);
        Assert.Equal(1L, await postgres.Server.ScalarAsync<long>(Database, "SELECT count(*) FROM OrleansStorage"));
    }

    [Fact]
    public async Task Clear_KeepsTheVersion_ReadGivesDefaultState_AndTheNextWriteSucceeds()
    {
        var storage = await CreateStorageAsync();
        var state = State(("a", 1));
        await storage.WriteStateAsync("topic-route", RouteOfOrders, state);

        await storage.ClearStateAsync("topic-route", RouteOfOrders, state);

        Assert.False(state.RecordExists);
        Assert.Equal("2", state.ETag);
        var read = new Counters();
        await storage.ReadStateAsync("topic-route", RouteOfOrders, read);
        Assert.False(read.RecordExists);
        Assert.Equal("2", read.ETag);
        Assert.Empty(read.State);

        read.State["b"] = 5;
        await storage.WriteStateAsync("topic-route", RouteOfOrders, read);
        Assert.Equal("3", read.ETag);
    }

    [Fact]
    public async Task Clear_WithAStaleETag_IsAConflict()
    {
        var storage = await CreateStorageAsync();
        var state = State(("a", 1));
        await storage.WriteStateAsync("topic-route", RouteOfOrders, state);
        var stale = new Counters { ETag = state.ETag, RecordExists = true };
        await storage.WriteStateAsync("topic-route", RouteOfOrders, state);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("topic-route", RouteOfOrders, stale));
    }

    [Fact]
    public async Task Clear_WithDeleteStateOnClear_RemovesTheRow()
    {
        var storage = await CreateStorageAsync(deleteOnClear: true);
        var state = State(("a", 1));
        await storage.WriteStateAsync("topic-route", RouteOfOrders, state);

        await storage.ClearStateAsync("topic-route", RouteOfOrders, state);

        Assert.Null(state.ETag);
        Assert.Equal(0L, await postgres.Server.ScalarAsync<long>(Database, "SELECT count(*) FROM OrleansStorage"));
        await storage.WriteStateAsync("topic-route", RouteOfOrders, State(("b", 2)));
    }

    [Fact]
    public async Task Rows_AreKeptApartByKeyKindStateNameAndServiceId()
    {
        var storage = await CreateStorageAsync();
        var other = await CreateStorageAsync(serviceId: "other-service", database: Database);
        var integerKey = GrainId.Create(GrainType.Create("broker-registry"), GrainIdKeyExtensions.CreateIntegerKey(0));
        var stringKey = GrainId.Create("broker-registry", "zero");

        await storage.WriteStateAsync("topic-route", RouteOfOrders, State(("route", 1)));
        await storage.WriteStateAsync("topic-registry", RouteOfOrders, State(("registry", 2)));
        await storage.WriteStateAsync("broker-registry", integerKey, State(("integer", 3)));
        await storage.WriteStateAsync("broker-registry", stringKey, State(("string", 4)));
        await other.WriteStateAsync("topic-route", RouteOfOrders, State(("other", 5)));

        Assert.Equal(["route"], (await ReadAsync(storage, "topic-route", RouteOfOrders)).Keys);
        Assert.Equal(["registry"], (await ReadAsync(storage, "topic-registry", RouteOfOrders)).Keys);
        Assert.Equal(["integer"], (await ReadAsync(storage, "broker-registry", integerKey)).Keys);
        Assert.Equal(["string"], (await ReadAsync(storage, "broker-registry", stringKey)).Keys);
        Assert.Equal(["other"], (await ReadAsync(other, "topic-route", RouteOfOrders)).Keys);
    }

    [Fact]
    public async Task Rows_OfKeysThatLookLikeNumbersOrGuids_AreKeptApart()
    {
        // Without StringKeyedGrainStorage the provider reads "a" and "A" as the integer 10, "10" and "010" as 16, and
        // 32 hex digits as a GUID, so these topics would share rows.
        var storage = await CreateStorageAsync();
        string[] topics = ["a", "A", "10", "010", "ABCDEF0123456789ABCDEF0123456789", "abcdef0123456789abcdef0123456789"];

        foreach (var topic in topics)
        {
            await storage.WriteStateAsync("topic-route", GrainId.Create("topic-route", topic), State((topic, 1)));
        }

        foreach (var topic in topics)
        {
            Assert.Equal([topic], (await ReadAsync(storage, "topic-route", GrainId.Create("topic-route", topic))).Keys);
        }

        var stored = await SchemaDatabase.QueryAsync<string>(postgres.Server.ConnectionString(Database), "SELECT GrainIdExtensionString::text FROM OrleansStorage ORDER BY 1");
        Assert.Equal(topics.Select(t => "k:" + t).Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Write_LongMultiByteKey_IsStoredDespiteTheIndexEntryLimit()
    {
        var storage = await CreateStorageAsync();
        var key = GrainId.Create("topic-route", string.Concat(Enumerable.Repeat("ü€", 250)));

        await storage.WriteStateAsync("topic-route", key, State(("long", 1)));

        Assert.Equal(["long"], (await ReadAsync(storage, "topic-route", key)).Keys);
    }

    [Fact]
    public async Task Payload_IsTheOrleansBinaryFormat_NotJson()
    {
        var storage = await CreateStorageAsync();

        await storage.WriteStateAsync("topic-route", RouteOfOrders, State(("a", 1)));

        var payload = await postgres.Server.ScalarAsync<byte[]>(Database, "SELECT PayloadBinary FROM OrleansStorage");
        Assert.NotEqual((byte)'{', payload[0]);
        Assert.Equal("topic-route", await postgres.Server.ScalarAsync<string>(Database, "SELECT GrainTypeString FROM OrleansStorage"));
        Assert.Equal("k:orders", await postgres.Server.ScalarAsync<string>(Database, "SELECT GrainIdExtensionString FROM OrleansStorage"));
    }

    private string Database { get; set; } = "";

    private async Task<IGrainStorage> CreateStorageAsync(bool deleteOnClear = false, string serviceId = "orleansmq", string? database = null)
    {
        string connectionString;
        if (database is null)
        {
            connectionString = await SchemaDatabase.CreateMigratedAsync(postgres.Server);
            Database = new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!;
        }
        else
        {
            connectionString = postgres.Server.ConnectionString(database);
        }

        // The silo's own registration: Npgsql, the Orleans binary serializer, verbatim string keys.
        var services = new ServiceCollection();
        services.AddSerializer();
        services.AddLogging();
        services.Configure<ClusterOptions>(o => o.ServiceId = serviceId);
        services.AddPostgresGrainStorage(connectionString, o => o.DeleteStateOnClear = deleteOnClear);
        var provider = services.BuildServiceProvider();
        var storage = provider.GetRequiredKeyedService<IGrainStorage>(StateStorage.ProviderName);
        await StartedLifecycle.StartAsync((ILifecycleParticipant<ISiloLifecycle>)storage);
        return storage;
    }

    private static async Task<Dictionary<string, long>> ReadAsync(IGrainStorage storage, string stateName, GrainId grain)
    {
        var state = new Counters();
        await storage.ReadStateAsync(stateName, grain, state);
        return state.State;
    }

    private static Counters State(params (string Key, long Value)[] entries) =>
        new() { State = entries.ToDictionary(e => e.Key, e => e.Value) };

    /// <summary>A grain state of a type Orleans serializes without generated code.</summary>
    private sealed class Counters : IGrainState<Dictionary<string, long>>
    {
        private Dictionary<string, long> _state = [];

        [System.Diagnostics.CodeAnalysis.AllowNull]
        public Dictionary<string, long> State
        {
            get => _state;
            set => _state = value ?? [];
        }

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }
}
