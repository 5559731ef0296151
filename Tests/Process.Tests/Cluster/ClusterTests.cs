using OrleansMq.Client.Consuming;
using OrleansMq.Client.Messages;
using OrleansMq.Client.Producing;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Networking;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.Silo.Schema;
using OrleansMq.TestKit;
using OrleansMq.TestKit.Postgres;

namespace OrleansMq.Process.Tests.Cluster;

/// <summary>Three broker processes on PostgreSQL: start, discovery, produce and consume through the SDK.</summary>
[Trait("Suite", "SlowBVT")]
[Trait("Area", "Cluster")]
public sealed class ClusterTests(PostgresServerFixture postgres) : ProcessTestBase(postgres)
{
    [Fact(Timeout = 300_000)]
    public async Task ThreeSilos_StartTogetherOnAnEmptyDatabase_OneCreatesTheSchemaAndAllJoin()
    {
        var cluster = await StartClusterAsync();
        TestContext.Current.TestOutputHelper?.WriteLine($"PostgreSQL test server: initdb and start took {Postgres.StartupTime.TotalSeconds:0.0} s");

        var appliers = cluster.Silos.Where(s => s.Current!.OutputContains($"applied schema migrations 1..{PostgresSchema.LatestVersion}")).ToArray();
        Assert.Single(appliers);
        Assert.All(cluster.Silos.Except(appliers), s => Assert.True(s.Current!.OutputContains("up to date"), $"{s.Name} did not report an up-to-date schema"));
        Assert.Equal(
            new Dictionary<string, int> { ["broker-1"] = 3, ["broker-2"] = 3, ["broker-3"] = 3 },
            await cluster.ReadMembershipAsync());
        foreach (var silo in cluster.Silos)
        {
            var health = await silo.GetHealthAsync();
            Assert.Equal(("Active", silo.Name), (health.Status, health.Broker));
            TestContext.Current.TestOutputHelper?.WriteLine($"{silo.Name} healthy after {silo.LastStartupTime.TotalSeconds:0.0} s");
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task ProduceAndPull_ClientFindsGatewaysInPostgres_EveryAcknowledgedMessageIsConsumed()
    {
        var cluster = await StartClusterAsync();
        var client = await cluster.ConnectAsync();
        var topic = Topics.Unique("orders");
        var route = await client.Admin.CreateTopicAsync(topic, 6);
        Assert.Equal(["broker-1", "broker-2", "broker-3"], route.Queues.Select(q => q.Broker).Distinct().Order());

        await using var producer = client.CreateProducer(new ProducerOptions { QueueSelection = QueueSelection.RoundRobin });
        var sent = await Task.WhenAll(Enumerable.Range(0, 600).Select(i => producer.SendAsync(new Message(topic, $"m{i}"))));

        Assert.All(sent, r => Assert.Equal(SendStatus.Ok, r.Status));
        Assert.Equal(["broker-1", "broker-2", "broker-3"], sent.Select(r => r.Queue.Broker).Distinct().Order());
        var received = await PullAllAsync(client.CreatePullConsumer(), topic, 600);
        Assert.Equal(Enumerable.Range(0, 600).Select(i => $"m{i}").Order(), received.Order());
    }

    [Fact(Timeout = 300_000)]
    public async Task MessagesAroundTheTransportBufferSize_CrossClientToSiloAndSiloToSiloSockets_Intact()
    {
        // The transport reads into 64 KiB blocks (TransportBuffers): frames that end exactly on, just before and just
        // after a block boundary, and frames spanning many blocks, through the gateway and on to the other broker.
        var cluster = await StartClusterAsync(silos: 2);
        var client = await cluster.ConnectAsync();
        var topic = Topics.Unique("frames");
        await client.Admin.CreateTopicAsync(topic, 4);
        int[] sizes = [1, 4095, 4097, TransportBuffers.BlockSize - 1, TransportBuffers.BlockSize, TransportBuffers.BlockSize + 1, 200_000, 1 << 20, 4 << 20];
        var random = new Random(7);
        var bodies = new Dictionary<string, byte[]>();
        for (var copy = 0; copy < 8; copy++)
        {
            foreach (var size in sizes)
            {
                var body = new byte[size];
                random.NextBytes(body);
                bodies[$"{size}-{copy}"] = body;
            }
        }

        await using (var producer = client.CreateProducer())
        {
            // Concurrent sends: each queue's batches carry several messages, so requests also cross block boundaries mid-message.
            var sent = await Task.WhenAll(bodies.Select(b => producer.SendAsync(new Message(topic, b.Value) { Keys = { b.Key } })));
            Assert.All(sent, r => Assert.Equal(SendStatus.Ok, r.Status));
            Assert.Equal(["broker-1", "broker-2"], sent.Select(r => r.Queue.Broker).Distinct().Order());
        }

        await using var consumer = client.CreatePullConsumer();
        consumer.Assign(await consumer.GetQueuesAsync(topic));
        var received = new Dictionary<string, byte[]>();
        await Wait.UntilAsync(
            async () =>
            {
                foreach (var message in await consumer.PollAsync(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken))
                {
                    received[message.Keys.Single()] = message.Body.ToArray();
                }

                return received.Count >= bodies.Count;
            },
            $"{bodies.Count} messages of {topic} pulled",
            TimeSpan.FromSeconds(60),
            () => $"{received.Count} pulled");
        Assert.Equal(bodies.Keys.Order(), received.Keys.Order());
        Assert.All(bodies, b => Assert.True(b.Value.AsSpan().SequenceEqual(received[b.Key]), $"body {b.Key} differs"));
    }

    [Fact(Timeout = 300_000)]
    public async Task StaticGatewayList_AndPostgresDiscovery_ReachTheSameCluster()
    {
        var cluster = await StartClusterAsync();
        var discovering = await cluster.ConnectAsync();
        var listed = await cluster.ConnectAsync(discoverThroughPostgres: false);
        var topic = Topics.Unique("both");
        await discovering.Admin.CreateTopicAsync(topic, 3);

        await using (var producer = listed.CreateProducer())
        {
            await Task.WhenAll(Enumerable.Range(0, 90).Select(i => producer.SendAsync(new Message(topic, $"s{i}"))));
        }

        var received = await PullAllAsync(discovering.CreatePullConsumer(), topic, 90);
        Assert.Equal(90, received.Distinct().Count());
        Assert.Equal(["broker-1", "broker-2", "broker-3"], (await listed.Admin.ListBrokersAsync()).Select(b => b.Name).Order());
    }

    [Fact(Timeout = 300_000)]
    public async Task ComposeHealthCheck_PassesOnAnActiveSilo_AndFailsOnceItIsGone()
    {
        var cluster = await StartClusterAsync(silos: 1);
        var silo = cluster.Silos[0];
        var test = ComposeFile.List(ComposeFile.Mapping(ComposeFile.Load().Brokers["broker-1"], "healthcheck"), "test");
        Assert.Equal(["CMD", "bash", "-c"], test.Take(3));
        var script = test[3].Replace("/dev/tcp/127.0.0.1/8080", $"/dev/tcp/127.0.0.1/{silo.HttpPort}", StringComparison.Ordinal);
        Assert.NotEqual(test[3], script);

        var healthy = await RunHealthCheckAsync(script);
        await silo.KillAsync();
        var dead = await RunHealthCheckAsync(script);

        Assert.Equal(0, healthy);
        Assert.NotEqual(0, dead);
    }

    private static async Task<int> RunHealthCheckAsync(string script)
    {
        await using var check = TestKit.Processes.ChildProcess.Start("healthcheck", "bash", ["-c", script]);
        await check.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return check.ExitCode!.Value;
    }

    /// <summary>Pulls every queue of <paramref name="topic"/> from the start until <paramref name="expected"/> messages arrived.</summary>
    internal static async Task<List<string>> PullAllAsync(PullConsumer consumer, string topic, int expected)
    {
        await using (consumer)
        {
            consumer.Assign(await consumer.GetQueuesAsync(topic));
            var bodies = new List<string>();
            await Wait.UntilAsync(
                async () =>
                {
                    foreach (var message in await consumer.PollAsync(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken))
                    {
                        bodies.Add(message.BodyAsString());
                    }

                    return bodies.Count >= expected;
                },
                $"{expected} messages of {topic} pulled from every queue",
                TimeSpan.FromSeconds(60),
                () => $"{bodies.Count} pulled");
            return bodies;
        }
    }
}
