using OrleansMq.Client.Hosting;
using OrleansMq.Grains.Errors;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.TestKit.Postgres;
using OrleansMq.TestKit.Processes;

namespace OrleansMq.Process.Tests.Cluster;

/// <summary>Clients that discover gateways in PostgreSQL, when the database is not what they expect.</summary>
[Trait("Suite", "SlowBVT")]
[Trait("Area", "Cluster")]
public sealed class ClientDiscoveryTests(PostgresServerFixture postgres)
{
    [Fact(Timeout = 120_000)]
    public async Task ConnectAsync_DatabaseUnreachable_FailsWithTheDatabaseNamed()
    {
        var port = FreePorts.Next();
        var options = new MqClientOptions { ConnectionString = $"Host=127.0.0.1;Port={port};Database=orleansmq;Username=app;Password=x", ConnectTimeout = TimeSpan.FromSeconds(2) };

        var error = await Assert.ThrowsAsync<OrleansMqException>(() => MqClient.ConnectAsync(options, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal($"Cannot read the cluster's gateways from PostgreSQL 127.0.0.1:{port}/orleansmq (user app): connection refused; is PostgreSQL running and listening on that host and port?", error.Message);
    }

    [Fact(Timeout = 120_000)]
    public async Task ConnectAsync_DatabaseWithoutSchema_SaysToUseTheBrokersDatabase()
    {
        var database = await postgres.Server.CreateDatabaseAsync("noschema");
        var options = new MqClientOptions { ConnectionString = postgres.Server.ConnectionString(database), ConnectTimeout = TimeSpan.FromSeconds(2) };

        var error = await Assert.ThrowsAsync<OrleansMqException>(() => MqClient.ConnectAsync(options, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("the database has no OrleansMq schema; point the client at the database the brokers use", error.Message);
    }

    [Fact(Timeout = 120_000)]
    public async Task ConnectAsync_NoBrokerRunning_FailsAfterTheConnectTimeout()
    {
        var connectionString = await SchemaDatabase.CreateMigratedAsync(postgres.Server);
        var options = new MqClientOptions { ConnectionString = connectionString, ConnectTimeout = TimeSpan.FromSeconds(2) };

        await Assert.ThrowsAnyAsync<OrleansException>(() => MqClient.ConnectAsync(options, cancellationToken: TestContext.Current.CancellationToken));
    }
}
