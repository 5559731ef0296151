using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Membership;
using Orleans.Runtime.MembershipService;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.TestKit.Postgres;

namespace OrleansMq.Process.Tests.Schema;

/// <summary>The clustering part of the schema, driven through Orleans' own ADO.NET membership table and gateway list.</summary>
[Trait("Suite", "SlowBVT")]
[Trait("Area", "Cluster")]
public sealed class MembershipTableTests(PostgresServerFixture postgres)
{
    private static readonly DateTime Start = new(2026, 11, 24, 3, 27, 55, 561, DateTimeKind.Utc);

    [Fact]
    public async Task Initialize_Twice_KeepsOneVersionRowAtZero()
    {
        var table = await CreateTableAsync();
        await table.InitializeMembershipTableAsync(true);

        var all = await table.ReadAllAsync();

        Assert.Empty(all.Members);
        Assert.Equal(0, all.Version.Version);
    }

    [Fact]
    public async Task InsertRow_AtTheCurrentVersion_IsStoredAndReadBackExactly()
    {
        var table = await CreateTableAsync();
        var entry = Entry(1, SiloStatus.Joining);

        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));

        var row = await table.ReadRowAsync(entry.SiloAddress);
        var (stored, etag) = Assert.Single(row.Members);
        Assert.Equal(1, row.Version.Version);
        Assert.Equal("1", etag);
        Assert.Equal(entry.SiloAddress, stored.SiloAddress);
        Assert.Equal("broker-1", stored.SiloName);
        Assert.Equal("host-1", stored.HostName);
        Assert.Equal(SiloStatus.Joining, stored.Status);
        Assert.Equal(30001, stored.ProxyPort);
        Assert.Equal(Start, stored.StartTime);
        Assert.Equal(Start.AddSeconds(1), stored.IAmAliveTime);
        Assert.Null(stored.SuspectTimes);
    }

    [Fact]
    public async Task ReadRow_UnknownSilo_ReturnsTheVersionAndNoMember()
    {
        var table = await CreateTableAsync();
        Assert.True(await table.InsertRowAsync(Entry(1, SiloStatus.Active), (await table.ReadAllAsync()).Version.Next()));

        var row = await table.ReadRowAsync(Entry(2, SiloStatus.Active).SiloAddress);

        Assert.Empty(row.Members);
        Assert.Equal(1, row.Version.Version);
    }

    [Fact]
    public async Task InsertRow_WithAStaleVersion_FailsAndChangesNothing()
    {
        var table = await CreateTableAsync();
        var stale = (await table.ReadAllAsync()).Version.Next();
        Assert.True(await table.InsertRowAsync(Entry(1, SiloStatus.Active), stale));

        Assert.False(await table.InsertRowAsync(Entry(2, SiloStatus.Active), stale));

        var all = await table.ReadAllAsync();
        Assert.Single(all.Members);
        Assert.Equal(1, all.Version.Version);
    }

    [Fact]
    public async Task InsertRow_SameSiloTwice_FailsWithoutBumpingTheVersion()
    {
        var table = await CreateTableAsync();
        var entry = Entry(1, SiloStatus.Active);
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));

        Assert.False(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));

        Assert.Equal(1, (await table.ReadAllAsync()).Version.Version);
    }

    [Fact]
    public async Task InsertRow_ConcurrentWritersWithTheSameVersion_ExactlyOneWins()
    {
        var table = await CreateTableAsync();
        var version = (await table.ReadAllAsync()).Version.Next();

        var outcomes = await Task.WhenAll(Enumerable.Range(1, 5).Select(i => Task.Run(() => table.InsertRowAsync(Entry(i, SiloStatus.Joining), version))));

        Assert.Single(outcomes, won => won);
        var all = await table.ReadAllAsync();
        Assert.Single(all.Members);
        Assert.Equal(1, all.Version.Version);
    }

    [Fact]
    public async Task UpdateRow_AtTheCurrentVersion_ChangesStatusSuspicionsAndHeartbeat()
    {
        var table = await CreateTableAsync();
        var entry = Entry(1, SiloStatus.Joining);
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));
        var voter = Entry(2, SiloStatus.Active).SiloAddress;
        var read = await table.ReadRowAsync(entry.SiloAddress);
        var (current, etag) = read.Members[0];
        current.Status = SiloStatus.Dead;
        current.IAmAliveTime = Start.AddSeconds(30);
        current.SuspectTimes = [Tuple.Create(voter, Start.AddSeconds(20))];

        Assert.True(await table.UpdateRowAsync(current, etag, read.Version.Next()));

        var after = await table.ReadRowAsync(entry.SiloAddress);
        var stored = after.Members[0].Item1;
        Assert.Equal(2, after.Version.Version);
        Assert.Equal(SiloStatus.Dead, stored.Status);
        Assert.Equal(Start.AddSeconds(30), stored.IAmAliveTime);
        Assert.NotNull(stored.SuspectTimes);
        var (suspecter, time) = Assert.Single(stored.SuspectTimes);
        Assert.Equal(voter, suspecter);
        Assert.Equal(Start.AddSeconds(20), time);
    }

    [Fact]
    public async Task UpdateRow_WithAStaleVersion_FailsAndChangesNothing()
    {
        var table = await CreateTableAsync();
        var entry = Entry(1, SiloStatus.Joining);
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));
        var read = await table.ReadRowAsync(entry.SiloAddress);
        Assert.True(await table.InsertRowAsync(Entry(2, SiloStatus.Joining), read.Version.Next()));
        var (current, etag) = read.Members[0];
        current.Status = SiloStatus.Active;

        Assert.False(await table.UpdateRowAsync(current, etag, read.Version.Next()));

        var after = await table.ReadRowAsync(entry.SiloAddress);
        Assert.Equal(SiloStatus.Joining, after.Members[0].Item1.Status);
        Assert.Equal(2, after.Version.Version);
    }

    [Fact]
    public async Task UpdateRow_ForAMissingSilo_FailsWithoutBumpingTheVersion()
    {
        var table = await CreateTableAsync();
        var version = (await table.ReadAllAsync()).Version;

        Assert.False(await table.UpdateRowAsync(Entry(9, SiloStatus.Active), "0", version.Next()));

        Assert.Equal(0, (await table.ReadAllAsync()).Version.Version);
    }

    [Fact]
    public async Task UpdateIAmAlive_MovesTheHeartbeatForwardOnlyAndKeepsTheVersion()
    {
        var table = await CreateTableAsync();
        var entry = Entry(1, SiloStatus.Active);
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));

        entry.IAmAliveTime = Start.AddMinutes(1);
        await table.UpdateIAmAliveAsync(entry);
        entry.IAmAliveTime = Start.AddSeconds(10); // a delayed, older heartbeat
        await table.UpdateIAmAliveAsync(entry);

        var row = await table.ReadRowAsync(entry.SiloAddress);
        Assert.Equal(Start.AddMinutes(1), row.Members[0].Item1.IAmAliveTime);
        Assert.Equal(1, row.Version.Version);
    }

    [Fact]
    public async Task GatewayList_ListsTheProxyPortsOfActiveSilosOnly()
    {
        var connectionString = await SchemaDatabase.CreateMigratedAsync(postgres.Server);
        var clusterId = "gw-" + Guid.NewGuid().ToString("N")[..8];
        var table = await CreateTableAsync(connectionString, clusterId);
        await InsertAsync(table, Entry(1, SiloStatus.Active));
        await InsertAsync(table, Entry(2, SiloStatus.Joining));
        await InsertAsync(table, Entry(3, SiloStatus.Dead));
        var noGateway = Entry(4, SiloStatus.Active);
        noGateway.ProxyPort = 0;
        await InsertAsync(table, noGateway);
        var gateways = new AdoNetGatewayListProvider(
            NullLogger<AdoNetGatewayListProvider>.Instance,
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new AdoNetClusteringClientOptions { Invariant = "Npgsql", ConnectionString = connectionString }),
            Options.Create(new GatewayOptions()),
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "orleansmq" }));
        await gateways.InitializeGatewayListProviderAsync();

        var list = await gateways.GetGatewaysAsync();

        Assert.Equal([Entry(1, SiloStatus.Active).SiloAddress.Endpoint.Address.ToString() + ":30001"], list.Select(u => $"{u.Host}:{u.Port}"));
    }

    [Fact]
    public async Task CleanupDefunctSiloEntries_RemovesOnlyDeadRowsOlderThanTheCutOff()
    {
        var table = await CreateTableAsync();
        await InsertAsync(table, Entry(1, SiloStatus.Active));
        await InsertAsync(table, Entry(2, SiloStatus.Dead));
        var recentDead = Entry(3, SiloStatus.Dead);
        recentDead.IAmAliveTime = Start.AddHours(2);
        await InsertAsync(table, recentDead);

        await table.CleanupDefunctSiloEntriesAsync(new DateTimeOffset(Start.AddHours(1)));

        var left = (await table.ReadAllAsync()).Members.Select(m => m.Item1.SiloName).Order().ToArray();
        Assert.Equal(["broker-1", "broker-3"], left);
    }

    [Fact]
    public async Task DeleteMembershipTableEntries_RemovesOneClusterOnly()
    {
        var connectionString = await SchemaDatabase.CreateMigratedAsync(postgres.Server);
        var kept = await CreateTableAsync(connectionString, "kept");
        var deleted = await CreateTableAsync(connectionString, "deleted");
        await InsertAsync(kept, Entry(1, SiloStatus.Active));
        await InsertAsync(deleted, Entry(1, SiloStatus.Active));

        await deleted.DeleteMembershipTableEntriesAsync("deleted");

        Assert.Single((await kept.ReadAllAsync()).Members);
        var clusters = await SchemaDatabase.QueryAsync<string>(connectionString, "SELECT DeploymentId::text FROM OrleansMembershipVersionTable");
        Assert.Equal(["kept"], clusters);
    }

    [Fact]
    public async Task Timestamps_RoundTripExactly_WhenTheServerTimeZoneIsNotUtc()
    {
        var connectionString = await SchemaDatabase.CreateMigratedAsync(postgres.Server);
        var database = new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!;
        await postgres.Server.ExecuteAsync("postgres", $"ALTER DATABASE {database} SET timezone TO 'America/New_York'");
        var table = await CreateTableAsync(connectionString, "tz");
        var entry = Entry(1, SiloStatus.Active);

        await InsertAsync(table, entry);

        Assert.Equal(Start, (await table.ReadRowAsync(entry.SiloAddress)).Members[0].Item1.StartTime);
        var utcText = await SchemaDatabase.QueryAsync<string>(connectionString, "SELECT to_char(StartTime AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') FROM OrleansMembershipTable");
        Assert.Equal(["03:27:55.561"], utcText);
    }

    private async Task<AdoNetClusteringTable> CreateTableAsync(string? connectionString = null, string clusterId = "test")
    {
        connectionString ??= await SchemaDatabase.CreateMigratedAsync(postgres.Server);
        var table = new AdoNetClusteringTable(
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "orleansmq" }),
            Options.Create(new AdoNetClusteringSiloOptions { Invariant = "Npgsql", ConnectionString = connectionString }),
            NullLogger<AdoNetClusteringTable>.Instance);
        await table.InitializeMembershipTableAsync(true);
        return table;
    }

    private static async Task InsertAsync(AdoNetClusteringTable table, MembershipEntry entry) =>
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));

    private static MembershipEntry Entry(int silo, SiloStatus status) => new()
    {
        SiloAddress = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11110 + silo), 154495640 + silo),
        SiloName = $"broker-{silo}",
        HostName = $"host-{silo}",
        Status = status,
        ProxyPort = 30000 + silo,
        StartTime = Start,
        IAmAliveTime = Start.AddSeconds(1),
    };
}
