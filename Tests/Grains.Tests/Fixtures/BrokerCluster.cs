using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using OrleansMq.Client.Hosting;
using OrleansMq.Grains.Brokers;
using Microsoft.Extensions.Time.Testing;
using OrleansMq.Grains.Hosting;
using OrleansMq.Grains.Scheduling;
using OrleansMq.Grains.Transactions;
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

    protected BrokerCluster(int silos, bool autoCreateTopics = true, bool fastGroups = false, bool fakeScheduling = false)
    {
        SiloCount = silos;
        AutoCreateTopics = autoCreateTopics;
        FastGroups = fastGroups;
        SchedulingTime = fakeScheduling ? new FakeTimeProvider(DateTimeOffset.UtcNow) : null;
    }

    /// <summary>When set, the clock that decides when delay, timer and retry messages are due (shared by all silos).</summary>
    public FakeTimeProvider? SchedulingTime { get; }

    /// <summary>
    /// Consumer group timings shortened so expiry tests take seconds: heartbeat 0.5 s, expiry 6 s. Twelve missed
    /// heartbeats, not six: a live member that a loaded CI machine starves for a few seconds must not be expired, or
    /// its uncommitted messages are delivered again and the exactly-once counts of other tests fail.
    /// </summary>
    public static readonly ConsumerGroupOptions Fast = new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(500),
        MemberExpiry = TimeSpan.FromSeconds(6),
        CheckInterval = TimeSpan.FromMilliseconds(250),
    };

    /// <summary>
    /// How long queues wait for a batch that arrived ahead of its producer's earlier ones; six times the default.
    /// Tests send a batch ahead of its predecessor and then the predecessor, or several batches in flight that Orleans
    /// may swap, and on a loaded CI machine 500 ms can pass in between, turning "waits for it" into "decided without it".
    /// </summary>
    public static readonly TimeSpan GapWait = TimeSpan.FromSeconds(3);

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
        var schedulingTime = SchedulingTime;
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
            silo.Services.Configure<IdempotenceOptions>(o => o.GapWait = GapWait);
            if (schedulingTime is not null)
            {
                silo.Services.AddSingleton(new SchedulingClock(schedulingTime));
            }

            if (fast)
            {
                silo.Services.Configure<ConsumerGroupOptions>(o =>
                {
                    o.HeartbeatInterval = Fast.HeartbeatInterval;
                    o.MemberExpiry = Fast.MemberExpiry;
                    o.CheckInterval = Fast.CheckInterval;
                });
                silo.Services.Configure<TransactionOptions>(o =>
                {
                    o.ProducerHeartbeatInterval = Fast.HeartbeatInterval;
                    o.ProducerExpiry = Fast.MemberExpiry;
                    o.CheckTimeout = TimeSpan.FromSeconds(2);
                });
            }
        });
        builder.ConfigureSilo((_, silo) => ConfigureSilo(silo));
        builder.ConfigureClient(ConfigureClient);
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        Client = MqClient.Create(Cluster.Client);
    }

    /// <summary>Adds broker silo configuration (call filters of fault-injection tests).</summary>
    protected virtual void ConfigureSilo(Orleans.Hosting.ISiloBuilder silo)
    {
    }

    /// <summary>Adds client configuration (outgoing call filters of fault-injection tests).</summary>
    protected virtual void ConfigureClient(Orleans.Hosting.IClientBuilder client)
    {
    }

    /// <summary>The store of a running broker silo.</summary>
    internal BrokerStore StoreOf(string broker) => ServiceOf<BrokerStore>(broker);

    /// <summary>The timer service of a running broker silo.</summary>
    internal TimerService TimersOf(string broker) => ServiceOf<TimerService>(broker);

    /// <summary>
    /// Restarts a broker silo (same name and data directory) and waits until every silo sees its new generation as
    /// active and knows its grain types, so broker-pinned grains can be placed on it from anywhere.
    /// </summary>
    public async Task RestartBrokerAsync(string broker)
    {
        var restarted = await Cluster.RestartSiloAsync(Cluster.Silos.Single(s => s.Name == broker))
            ?? throw new InvalidOperationException($"Broker {broker} did not restart.");
        await Cluster.WaitForLivenessToStabilizeAsync();
        await TestKit.Wait.UntilAsync(
            () => Cluster.Silos.All(silo => Cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<IClusterMembershipService>()
                .CurrentSnapshot.GetSiloStatus(restarted.SiloAddress) == SiloStatus.Active),
            $"every silo to see broker {broker} active again at {restarted.SiloAddress}");

        // Placement also needs the new silo in every silo's cluster manifest (its grain types), which follows membership.
        await Cluster.WaitForClusterManifestToStabilizeAsync();
    }

    /// <summary>The transaction service of a running broker silo.</summary>
    internal TransactionService TransactionsOf(string broker) => ServiceOf<TransactionService>(broker);

    /// <summary>
    /// Moves the scheduling clock forward and waits until every broker has delivered the timers and run the
    /// transaction check-backs that became due.
    /// </summary>
    public async Task AdvanceSchedulingTimeAsync(TimeSpan by)
    {
        var clock = SchedulingTime ?? throw new InvalidOperationException("This cluster runs on real scheduling time.");
        clock.Advance(by);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var silo in Cluster.Silos)
        {
            await TestKit.Wait.ForAsync(TimersOf(silo.Name).WaitProcessedAsync(now), $"broker {silo.Name} to deliver timers due by {clock.GetUtcNow():O}");
            await TestKit.Wait.ForAsync(TransactionsOf(silo.Name).WaitProcessedAsync(now), $"broker {silo.Name} to run check-backs due by {clock.GetUtcNow():O}");
        }
    }

    private T ServiceOf<T>(string broker)
        where T : notnull
    {
        foreach (var silo in Cluster.Silos)
        {
            if (silo.Name == broker)
            {
                return Cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<T>();
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

/// <summary>Two brokers whose delay, timer and retry scheduling runs on a fake clock the tests move; fast groups.</summary>
public sealed class ScheduledCluster() : BrokerCluster(2, fastGroups: true, fakeScheduling: true)
{
    /// <summary>Fails route lookups made inside the silos on purpose (inactive until armed).</summary>
    public RouteLookupFaults RouteFaults { get; } = new();

    protected override void ConfigureSilo(Orleans.Hosting.ISiloBuilder silo) => silo.AddOutgoingGrainCallFilter(RouteFaults);
}

/// <summary>Two brokers whose client can lose the responses of appends on purpose (<see cref="LostAcks"/>).</summary>
public sealed class LostAckCluster() : BrokerCluster(2)
{
    /// <summary>The client's fault injector.</summary>
    public LostAckFilter LostAcks { get; } = new();

    protected override void ConfigureClient(Orleans.Hosting.IClientBuilder client) => client.AddOutgoingGrainCallFilter(LostAcks);
}

/// <summary>One broker with auto-create off.</summary>
public sealed class NoAutoCreateCluster() : BrokerCluster(1, autoCreateTopics: false);
