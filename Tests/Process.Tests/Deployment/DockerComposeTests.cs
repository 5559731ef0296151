using Microsoft.Extensions.Configuration;
using Npgsql;
using Orleans.Configuration;
using OrleansMq.Grains.Hosting;
using OrleansMq.Grains.Naming;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.Silo.Configuration;
using OrleansMq.Storage.Configuration;

namespace OrleansMq.Process.Tests.Deployment;

/// <summary>
/// Docker does not run here, so docker-compose.yml is kept valid by checking it against the silo itself: every setting
/// it passes must be a real configuration key or command-line switch with a valid value, and the topology must be
/// consistent (distinct names, ports and volumes, health checks, the database it points at).
/// </summary>
[Trait("Suite", "BVT")]
[Trait("Area", "Cluster")]
public sealed class DockerComposeTests
{
    /// <summary>Configuration sections of the silo and the options types bound from them (BrokerHost.Build).</summary>
    private static readonly Dictionary<string, Type> Sections = new(StringComparer.OrdinalIgnoreCase)
    {
        [SiloHostOptions.SectionName] = typeof(SiloHostOptions),
        [BrokerOptions.SectionName] = typeof(BrokerOptions),
        ["OrleansMq:Storage"] = typeof(MessageStoreOptions),
        [SiloHostOptions.MembershipSectionName] = typeof(ClusterMembershipOptions),
        [ConsumerGroupOptions.SectionName] = typeof(ConsumerGroupOptions),
    };

    private readonly ComposeFile _compose = ComposeFile.Load();

    [Fact]
    public void Services_ArePostgresAndThreeBrokersBuiltFromTheDockerfile()
    {
        Assert.Equal(["broker-1", "broker-2", "broker-3", "postgres"], _compose.Services.Keys.Order());
        Assert.Equal(3, _compose.Brokers.Count);
        Assert.All(_compose.Brokers.Values, b => Assert.Equal(".", ComposeFile.Value(b, "build")));
        Assert.True(File.Exists(Repository.PathOf("Dockerfile")));
    }

    [Fact]
    public void BrokerSettings_AreRealConfigurationKeysAndSwitchesWithValidValues()
    {
        foreach (var (name, service) in _compose.Brokers)
        {
            var configuration = SiloConfiguration(service);
            foreach (var key in SettingKeys(service))
            {
                Assert.True(IsKnownKey(key), $"{name}: '{key}' is not a configuration key of the silo (sections: {string.Join(", ", Sections.Keys)})");
            }

            foreach (var (section, type) in Sections)
            {
                // Unknown keys and values that do not convert throw here, as they would when the silo starts.
                configuration.GetSection(section).Get(type, o => o.ErrorOnUnknownConfiguration = true);
            }

            var host = configuration.GetSection(SiloHostOptions.SectionName).Get<SiloHostOptions>()!;
            Assert.Empty(host.Validate());
            Assert.Equal(ClusterMode.Postgres, host.Mode);
            Assert.True(host.ListenOnAnyAddress, $"{name} must listen on all interfaces in its container");
            Assert.Equal(ComposeFile.Value(service, "hostname") ?? name, host.Address);
            var broker = configuration.GetSection(BrokerOptions.SectionName).Get<BrokerOptions>()!;
            Assert.Equal(name, broker.Name);
            Assert.Null(NameValidator.ValidateBroker(broker.Name));
        }
    }

    [Fact]
    public void Brokers_ShareOneClusterIdAndHaveDistinctNames()
    {
        var hosts = _compose.Brokers.Values.Select(s => SiloConfiguration(s).GetSection(SiloHostOptions.SectionName).Get<SiloHostOptions>()!).ToArray();
        var names = _compose.Brokers.Values.Select(s => SiloConfiguration(s)[$"{BrokerOptions.SectionName}:Name"]).ToArray();

        Assert.Single(hosts.Select(h => h.ClusterId).Distinct());
        Assert.Single(hosts.Select(h => h.ServiceId).Distinct());
        Assert.Equal(3, names.Distinct().Count());
    }

    [Fact]
    public void Brokers_ConnectToTheComposePostgresWithItsCredentials()
    {
        var postgres = ComposeFile.Environment(_compose.Services["postgres"]);
        foreach (var (name, service) in _compose.Brokers)
        {
            var host = SiloConfiguration(service).GetSection(SiloHostOptions.SectionName).Get<SiloHostOptions>()!;
            var connection = new NpgsqlConnectionStringBuilder(host.ConnectionString);
            Assert.Equal("postgres", connection.Host);
            Assert.Equal(5432, connection.Port);
            Assert.Equal(postgres["POSTGRES_DB"], connection.Database);
            Assert.Equal(postgres["POSTGRES_USER"], connection.Username);
            Assert.Equal(postgres["POSTGRES_PASSWORD"], connection.Password);
            var dependsOn = ComposeFile.Mapping(ComposeFile.Mapping(service, "depends_on"), "postgres");
            Assert.True(ComposeFile.Value(dependsOn, "condition") == "service_healthy", $"{name} must wait for a healthy database");
        }
    }

    [Fact]
    public void PublishedPorts_AreDistinct_OnLoopback_AndMapToTheBrokersGatewayAndHttpPorts()
    {
        var hostPorts = new List<int>();
        foreach (var (name, service) in _compose.Services)
        {
            foreach (var mapping in ComposeFile.List(service, "ports"))
            {
                var parts = mapping.Split(':');
                Assert.True(parts.Length == 3 && parts[0] == "127.0.0.1", $"{name} publishes '{mapping}'; publish as 127.0.0.1:host:container");
                hostPorts.Add(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        Assert.Equal(hostPorts.Count, hostPorts.Distinct().Count());
        foreach (var (name, service) in _compose.Brokers)
        {
            var host = SiloConfiguration(service).GetSection(SiloHostOptions.SectionName).Get<SiloHostOptions>()!;
            var containerPorts = ComposeFile.List(service, "ports").Select(p => int.Parse(p.Split(':')[2], System.Globalization.CultureInfo.InvariantCulture)).Order();
            Assert.Equal(new[] { host.HttpPort, host.GatewayPort }.Order(), containerPorts);
        }
    }

    [Fact]
    public void DataVolumes_AreNamedDeclaredDistinctAndMountedAtTheDataDirectory()
    {
        var mounted = new List<string>();
        foreach (var (name, service) in _compose.Services)
        {
            var volumes = ComposeFile.List(service, "volumes").Select(v => v.Split(':')).ToArray();
            Assert.True(volumes.Length == 1, $"{name} should mount exactly one data volume");
            Assert.Contains(volumes[0][0], _compose.Volumes);
            mounted.Add(volumes[0][0]);
            if (_compose.Brokers.ContainsKey(name))
            {
                var broker = SiloConfiguration(service).GetSection(BrokerOptions.SectionName).Get<BrokerOptions>()!;
                Assert.Equal(broker.DataDirectory, volumes[0][1]);
            }
        }

        Assert.Equal(mounted.Count, mounted.Distinct().Count());
        Assert.Equal(_compose.Volumes.Order(), mounted.Order());
    }

    [Fact]
    public void HealthChecks_ProbeTheDatabaseAndEachBrokersHealthEndpoint()
    {
        var database = ComposeFile.List(ComposeFile.Mapping(_compose.Services["postgres"], "healthcheck"), "test");
        Assert.Contains("pg_isready", string.Join(' ', database));
        foreach (var (name, service) in _compose.Brokers)
        {
            var host = SiloConfiguration(service).GetSection(SiloHostOptions.SectionName).Get<SiloHostOptions>()!;
            var check = string.Join(' ', ComposeFile.List(ComposeFile.Mapping(service, "healthcheck"), "test"));
            Assert.Contains($"/dev/tcp/127.0.0.1/{host.HttpPort}", check);
            Assert.Contains("GET /health ", check);
        }
    }

    /// <summary>The silo's configuration as the container builds it: Dockerfile ENV, then the service's environment, then its command.</summary>
    internal static IConfiguration SiloConfiguration(YamlDotNet.RepresentationModel.YamlMappingNode service)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in DockerfileTests.Environment().Concat(ComposeFile.Environment(service)))
        {
            values[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        return new ConfigurationBuilder()
            .AddInMemoryCollection(values)
            .AddCommandLine([.. ComposeFile.List(service, "command")], CommandLine.Switches)
            .Build();
    }

    /// <summary>Every configuration key a service sets, from its environment and from its command line.</summary>
    private static IEnumerable<string> SettingKeys(YamlDotNet.RepresentationModel.YamlMappingNode service)
    {
        foreach (var key in ComposeFile.Environment(service).Keys)
        {
            yield return key.Replace("__", ":", StringComparison.Ordinal);
        }

        var command = ComposeFile.List(service, "command");
        for (var i = 0; i < command.Count; i++)
        {
            var argument = command[i];
            if (CommandLine.Switches.TryGetValue(argument, out var key))
            {
                yield return key;
                i++; // its value
            }
            else if (argument.StartsWith("--", StringComparison.Ordinal) && argument.Contains('=', StringComparison.Ordinal))
            {
                yield return argument[2..argument.IndexOf('=', StringComparison.Ordinal)];
            }
            else
            {
                Assert.Fail($"'{argument}' is neither a switch of the silo ({string.Join(", ", CommandLine.Switches.Keys)}) nor --Section:Key=value");
            }
        }
    }

    private static bool IsKnownKey(string key)
    {
        if (key.StartsWith("Logging:", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var split = key.LastIndexOf(':');
        return split > 0
            && Sections.TryGetValue(key[..split], out var type)
            && type.GetProperty(key[(split + 1)..], System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase) is { CanWrite: true };
    }
}
