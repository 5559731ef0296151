using System.Diagnostics;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Messages;
using OrleansMq.Client.Producing;
using OrleansMq.Grains;
using OrleansMq.Grains.Messages;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.TestKit;
using OrleansMq.TestKit.Postgres;

namespace OrleansMq.Process.Tests.Cluster;

/// <summary>Silo processes killed with SIGKILL, restarted, and the whole cluster stopped and started again.</summary>
[Trait("Suite", "SlowBVT")]
[Trait("Area", "Cluster")]
public sealed class FailoverTests(PostgresServerFixture postgres) : ProcessTestBase(postgres)
{
    private const int Dead = 6;

    /// <summary>
    /// The producer settings of a latency-sensitive application: a 2 s attempt timeout, so a batch caught on the killed
    /// broker is retried on another within seconds, and the failed broker skipped for longer than failure detection takes.
    /// </summary>
    private static readonly ProducerOptions FailoverProducer = new()
    {
        SendTimeout = TimeSpan.FromSeconds(2),
        RetryTimes = 2,
        BrokerFaultBackoff = TimeSpan.FromSeconds(60),

        // Every queue, the victim's included, must hold acknowledged messages when the victim is killed.
        QueueSelection = QueueSelection.RoundRobin,
    };

    [Fact(Timeout = 600_000)]
    public async Task KillOneSiloUnderLoad_ProducersKeepSucceeding_GroupRebalances_RestartRecoversEveryAcknowledgedMessage()
    {
        var cluster = await StartClusterAsync();
        var client = await cluster.ConnectAsync();
        var consumerClient = await cluster.ConnectAsync();
        var topic = Topics.Unique("failover");
        var group = Topics.Unique("group");
        var route = await client.Admin.CreateTopicAsync(topic, 6);
        var collector = new MessageCollector();
        var consumers = new List<PushConsumer>();
        for (var i = 1; i <= 3; i++)
        {
            consumers.Add(await ConsumerGroups.StartConsumerAsync(consumerClient, group, topic, collector, $"c{i}"));
        }

        await ConsumerGroups.WaitForStableAssignmentAsync(client.Admin, group, members: 3, queues: 6, TimeSpan.FromSeconds(60));

        // The victim hosts the consumer group grain, so killing it also moves the group's coordinator.
        var groupSilo = await client.ClusterClient.GetGrain<IManagementGrain>(0).GetActivationAddress(client.ClusterClient.GetGrain<IConsumerGroupGrain>(group));
        var victim = cluster.Silos.Single(s => s.SiloPort == groupSilo!.Endpoint.Port);
        var victimQueues = route.Queues.Where(q => q.Broker == victim.Name).Select(q => q.QueueId).ToArray();
        Assert.NotEmpty(victimQueues);

        await using var producer = client.CreateProducer(FailoverProducer);
        await using var load = LoadGenerator.Start(producer, topic, workers: 8);
        await load.WaitForAcksAsync(400, "before the kill");

        var clock = Stopwatch.StartNew();
        await victim.KillAsync();
        var ackedAtKill = load.AckCount;
        await Wait.UntilAsync(async () => (await cluster.ReadMembershipAsync())[victim.Name] == Dead, $"the survivors to declare {victim.Name} dead in PostgreSQL", TimeSpan.FromSeconds(60));
        var detection = clock.Elapsed;
        await load.WaitForAcksAsync(load.AckCount + 400, "after the victim was declared dead");
        await load.StopAsync();

        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} sends failed after retries: {string.Join(" | ", load.Failures.Take(10))}");
        Assert.True(load.AckCount - ackedAtKill >= 400, $"only {load.AckCount - ackedAtKill} sends succeeded after the kill");
        TestContext.Current.TestOutputHelper?.WriteLine($"{victim.Name} declared dead {detection.TotalSeconds:0.0} s after SIGKILL; {load.AckCount} acked, {ackedAtKill} before the kill");

        // The group's coordinator comes back on a survivor with its state from PostgreSQL; a new member is taken in.
        clock.Restart();
        consumers.Add(await ConsumerGroups.StartConsumerAsync(consumerClient, group, topic, collector, "c4"));
        await ConsumerGroups.WaitForStableAssignmentAsync(client.Admin, group, members: 4, queues: 6, TimeSpan.FromSeconds(90));
        TestContext.Current.TestOutputHelper?.WriteLine($"group {group} settled with 4 members {clock.Elapsed.TotalSeconds:0.0} s after the new member started");

        // Restart: same name, data directory and ports; its commit log recovers.
        victim.Start();
        await victim.WaitHealthyAsync(ProcessCluster.StartTimeout);
        TestContext.Current.TestOutputHelper?.WriteLine($"{victim.Name} healthy {victim.LastStartupTime.TotalSeconds:0.0} s after restart");

        var pull = client.CreatePullConsumer();
        foreach (var queueId in victimQueues)
        {
            var queue = new MessageQueue(topic, victim.Name, queueId);
            var acked = load.Acked.Values.Where(r => r.Queue == queue).ToDictionary(r => r.QueueOffset);
            var stored = await pull.PullAsync(queue, 0, Math.Max(1, acked.Count * 2), TimeSpan.Zero, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(PullStatus.Found, stored.Status);
            var byOffset = stored.Messages.ToDictionary(m => m.QueueOffset, m => m.BodyAsString());
            Assert.All(acked, a => Assert.Equal(load.Acked.First(p => p.Value == a.Value).Key, byOffset[a.Key]));
        }

        // Its queues take new messages again (a fresh producer has no memory of the failure).
        await using (var fresh = client.CreateProducer(new ProducerOptions { QueueSelection = QueueSelection.RoundRobin }))
        {
            var again = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => fresh.SendAsync(new Message(topic, $"after-{i}"))));
            Assert.Contains(again, r => r.Queue.Broker == victim.Name);
        }

        // Every acknowledged message reaches the group.
        await Wait.UntilAsync(
            () => collector.Missing(load.Acked.Keys).Count == 0,
            "every acknowledged message to be consumed by the group",
            TimeSpan.FromSeconds(120),
            () => $"{collector.Describe()}; missing e.g. {string.Join(",", collector.Missing(load.Acked.Keys).Take(5))}");
        foreach (var consumer in consumers)
        {
            await consumer.DisposeAsync();
        }
    }

    [Fact(Timeout = 600_000)]
    public async Task StopAllSilos_AndStartThemAgain_RoutesAndCommittedOffsetsComeBackFromPostgres()
    {
        var cluster = await StartClusterAsync();
        var client = await cluster.ConnectAsync();
        var created = Topics.Unique("stored");
        var autoCreated = Topics.Unique("auto");
        var group = Topics.Unique("group");
        await client.Admin.CreateTopicAsync(created, 6);
        await using (var producer = client.CreateProducer())
        {
            await Task.WhenAll(Enumerable.Range(0, 300).Select(i => producer.SendAsync(new Message(created, $"old-{i}"))));
            await Task.WhenAll(Enumerable.Range(0, 80).Select(i => producer.SendAsync(new Message(autoCreated, $"auto-{i}"))));
        }

        var collector = new MessageCollector();
        var consumer = await ConsumerGroups.StartConsumerAsync(client, group, created, collector, "before");
        await Wait.UntilAsync(() => collector.Distinct == 300, "the group to consume the first 300 messages", TimeSpan.FromSeconds(60), collector.Describe);
        await consumer.DisposeAsync(); // graceful: commits and leaves
        var routesBefore = (await client.Admin.GetRouteAsync(created), await client.Admin.GetRouteAsync(autoCreated));
        var offsetsBefore = await CommittedOffsetsAsync(client, group, created, 6);
        Assert.Equal(300, offsetsBefore.Values.Sum());

        foreach (var silo in cluster.Silos)
        {
            Assert.Equal(0, await silo.StopAsync(TimeSpan.FromSeconds(60)));
        }

        Assert.All(await cluster.ReadMembershipAsync(), m => Assert.Equal(Dead, m.Value));
        await cluster.StartAllAsync();
        var after = await cluster.ConnectAsync();

        var routesAfter = (await after.Admin.GetRouteAsync(created), await after.Admin.GetRouteAsync(autoCreated));
        Assert.Equal(Describe(routesBefore.Item1), Describe(routesAfter.Item1));
        Assert.Equal(Describe(routesBefore.Item2), Describe(routesAfter.Item2));
        Assert.Contains(created, await after.Admin.ListTopicsAsync());
        Assert.Equal(offsetsBefore, await CommittedOffsetsAsync(after, group, created, 6));

        // The group resumes at its committed offsets: only the new messages are delivered, none of the old ones again.
        await using (var producer = after.CreateProducer())
        {
            await Task.WhenAll(Enumerable.Range(0, 60).Select(i => producer.SendAsync(new Message(created, $"new-{i}"))));
        }

        var resumed = new MessageCollector();
        await using var again = await ConsumerGroups.StartConsumerAsync(after, group, created, resumed, "after");
        await Wait.UntilAsync(() => resumed.Distinct == 60, "the group to consume the 60 new messages", TimeSpan.FromSeconds(60), resumed.Describe);
        Assert.All(resumed.Counts.Keys, body => Assert.StartsWith("new-", body));

        // And every log recovered: all 360 messages are still readable from offset 0.
        var all = await ClusterTests.PullAllAsync(after.CreatePullConsumer(), created, 360);
        Assert.Equal(360, all.Distinct().Count());
    }

    private static async Task<Dictionary<int, long>> CommittedOffsetsAsync(Client.Hosting.MqClient client, string group, string topic, int queues)
    {
        var offsets = new Dictionary<int, long>();
        for (var q = 0; q < queues; q++)
        {
            offsets[q] = await client.Admin.GetGroupOffsetAsync(group, topic, q);
        }

        return offsets;
    }

    private static string Describe(Grains.Routing.TopicRoute? route) =>
        route is null ? "none" : $"{route.Topic} v{route.Version}: " + string.Join(", ", route.Queues.Select(q => $"{q.QueueId}@{q.Broker}"));
}
