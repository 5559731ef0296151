using OrleansMq.Client.Hosting;

namespace OrleansMq.Process.Tests.Configuration;

/// <summary>Validation of the client's gateway settings: a static list or a cluster's PostgreSQL database.</summary>
[Trait("Suite", "BVT")]
[Trait("Area", "Cluster")]
public sealed class MqClientOptionsTests
{
    [Fact]
    public void Validate_Defaults_UseTheEmbeddedBrokersGateway()
    {
        var options = new MqClientOptions();

        Assert.Empty(options.Validate());
        Assert.Null(options.ConnectionString);
        Assert.Equal([MqClientOptions.DefaultGateway], options.Gateways);
    }

    [Fact]
    public void Validate_ConnectionStringWithDefaultGateways_IsAccepted()
    {
        var options = new MqClientOptions { ConnectionString = "Host=db;Port=5432;Database=orleansmq;Username=orleansmq;Password=x" };

        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Validate_ConnectionStringWithoutGateways_IsAccepted()
    {
        var options = new MqClientOptions { ConnectionString = "Host=db;Database=orleansmq", Gateways = [] };

        Assert.Empty(options.Validate());
    }

    [Fact]
    public void Validate_ConnectionStringAndAGatewayList_AreRefusedTogether()
    {
        var options = new MqClientOptions { ConnectionString = "Host=db;Database=orleansmq", Gateways = ["10.0.0.1:30000", "10.0.0.2:30000"] };

        var error = Assert.Single(options.Validate());

        Assert.Equal("MqClientOptions.Gateways and MqClientOptions.ConnectionString are both set; give the static gateway list or the cluster's PostgreSQL database, not both.", error);
    }

    [Theory]
    [InlineData("Host=db;Port=many;Database=orleansmq", "MqClientOptions.ConnectionString is not a valid PostgreSQL connection string:")]
    [InlineData("Hots=db;Database=orleansmq", "MqClientOptions.ConnectionString is not a valid PostgreSQL connection string:")]
    [InlineData("Database=orleansmq", "MqClientOptions.ConnectionString has no Host;")]
    [InlineData("Host=db", "MqClientOptions.ConnectionString has no Database;")]
    public void Validate_BadConnectionString_SaysWhatIsWrong(string connectionString, string expected)
    {
        var options = new MqClientOptions { ConnectionString = connectionString };

        Assert.StartsWith(expected, Assert.Single(options.Validate()));
    }

    [Fact]
    public void Validate_NoGatewaysAndNoConnectionString_OffersBoth()
    {
        var options = new MqClientOptions { Gateways = [] };

        Assert.Contains("or MqClientOptions.ConnectionString", Assert.Single(options.Validate()));
    }

    [Fact]
    public async Task ConnectAsync_InvalidConnectionString_ThrowsBeforeConnecting()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => MqClient.ConnectAsync(new MqClientOptions { ConnectionString = "Host=db" }, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("has no Database", error.Message);
    }
}
