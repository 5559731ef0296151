using System.Net;
using OrleansMq.Grains.Errors;
using OrleansMq.Silo.Configuration;

namespace OrleansMq.Process.Tests.Configuration;

/// <summary>Validation of the cluster-mode host settings.</summary>
[Trait("Suite", "BVT")]
[Trait("Area", "Cluster")]
public sealed class SiloHostOptionsTests
{
    [Fact]
    public void Validate_PostgresModeWithAGoodConnectionString_IsAccepted()
    {
        var options = new SiloHostOptions { Mode = ClusterMode.Postgres, ConnectionString = "Host=db;Port=5432;Database=orleansmq;Username=orleansmq;Password=x" };

        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData("Host=db;Port=many;Database=orleansmq", "OrleansMq:Host:ConnectionString is not a valid PostgreSQL connection string:")]
    [InlineData("Database=orleansmq", "OrleansMq:Host:ConnectionString has no Host;")]
    [InlineData("Host=db", "OrleansMq:Host:ConnectionString has no Database;")]
    public void Validate_PostgresModeWithABadConnectionString_SaysWhatIsWrong(string connectionString, string expected)
    {
        var options = new SiloHostOptions { Mode = ClusterMode.Postgres, ConnectionString = connectionString };

        var error = Assert.Single(options.Validate());

        Assert.StartsWith(expected, error);
        Assert.EndsWith("(--connection)", error);
    }

    [Fact]
    public void Validate_EmbeddedMode_IgnoresTheConnectionString()
    {
        var options = new SiloHostOptions { Mode = ClusterMode.Embedded, ConnectionString = "not a connection string" };

        Assert.Empty(options.Validate());
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("broker-1")]
    [InlineData("broker-1.cluster.local")]
    public void Validate_AddressAsIpOrHostName_IsAccepted(string address)
    {
        Assert.Empty(new SiloHostOptions { Address = address }.Validate());
    }

    [Theory]
    [InlineData("")]
    [InlineData("not an address")]
    [InlineData("host:30000")]
    public void Validate_MalformedAddress_IsRefused(string address)
    {
        Assert.StartsWith($"OrleansMq:Host:Address is '{address}'", Assert.Single(new SiloHostOptions { Address = address }.Validate()));
    }

    [Theory]
    [InlineData(999)]
    [InlineData(10_000_001)]
    public void Validate_DirectoryCacheSizeOutOfRange_SaysWhatIsAllowed(int size)
    {
        var error = Assert.Single(new SiloHostOptions { DirectoryCacheSize = size }.Validate());

        Assert.Equal($"OrleansMq:Host:DirectoryCacheSize is {size}; it must be between 1,000 and 10,000,000.", error);
    }

    [Fact]
    public void ResolveAddress_HostName_GivesItsIPv4Address()
    {
        Assert.Equal(IPAddress.Loopback, new SiloHostOptions { Address = "localhost" }.ResolveAddress());
        Assert.Equal(IPAddress.Parse("10.1.2.3"), new SiloHostOptions { Address = "10.1.2.3" }.ResolveAddress());
    }

    [Fact]
    public void ResolveAddress_UnknownHost_NamesTheSetting()
    {
        var error = Assert.Throws<OrleansMqException>(() => new SiloHostOptions { Address = "no-such-host.invalid" }.ResolveAddress());

        Assert.StartsWith("OrleansMq:Host:Address 'no-such-host.invalid' does not resolve", error.Message);
    }
}
