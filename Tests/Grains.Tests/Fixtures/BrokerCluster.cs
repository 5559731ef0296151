using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using OrleansMq.Client.Hosting;
using OrleansMq.Grains.Brokers;
using OrleansMq.Grains.Hosting;
using OrleansMq.Hosting;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Fixtures;

/// <summary>
/// An in-process cluster of broker silos. Each silo is a broker named after the silo (<c>Silo_0</c>…) with its own
/// data directory; grain state lives in one shared directory, as a shared database would in a real cluster.
/// </summary>
public abstract class BrokerCluster : IAsyncLifetime
{
    private readonly TempDirectory _root = new("orleansmq-cluster");

    protected BrokerCluster(int silos, bool autoCreateTopics = true, bool fastGroups = false)
    {
        SiloCount = silos;
        AutoCreateTopics = autoCreateTopics;
        FastGroups = fastGroups;
    }

    /// <summary>Consumer group timings shortened so expiry tests take seconds: heartbeat 0.5 s, expiry 3 s.</summary>
    public static readonly ConsumerGroupOptions Fast = new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(500),
        MemberExpiry = TimeSpan.FromSeconds(3),
        CheckInterval = TimeSpan.FromMilliseconds(250),
    };

    public bool FastGroups { get; }

    public int SiloCount { get; }

    public bool AutoCreateTopics { get; }

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public MqClient Client { get; private set; } = null!;

    public string DataDirectoryOf(string broker) => _root.Combine(broker);

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder((short)SiloCount);
        var root = _root.Path;
        var autoCreate = AutoCreateTopics;
        var fast = FastGroups;
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddOrleansMqBroker(
                broker =>
                {
                    broker.Name = options.SiloName;
                    broker.DataDirectory = Path.Combine(root, options.SiloName);
                    broker.AutoCreateTopics = autoCreate;
                },
                store => store.SegmentSize = 16 * 1024 * 1024);
            silo.AddOrleansMqFileStateStorage(Path.Combine(root, "state"));
            if (fast)
            {
                silo.Services.Configure<ConsumerGroupOptions>(o =>
                {
                    o.HeartbeatInterval = Fast.HeartbeatInterval;
                    o.MemberExpiry = Fast.MemberExpiry;
                    o.CheckInterval = Fast.CheckInterval;
                });
            }
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        Client = MqClient.Create(Cluster.Client);
    }

    /// <summary>The store of a running broker silo.</summary>
    internal BrokerStore StoreOf(string broker)
    {
        foreach (var silo in Cluster.Silos)
        {
            if (silo.Name == broker)
            {
                return Cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<BrokerStore>();
            }
        }

        throw new InvalidOperationException($"No running silo named {broker}.");
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Cluster.DisposeAsync();
        _root.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Three brokers, auto-create on.</summary>
public sealed class ThreeBrokerCluster() : BrokerCluster(3);

/// <summary>Three brokers with fast consumer group heartbeats and expiry.</summary>
public sealed class GroupCluster() : BrokerCluster(3, fastGroups: true);

/// <summary>One broker with auto-create off.</summary>
public sealed class NoAutoCreateCluster() : BrokerCluster(1, autoCreateTopics: false);
