using OrleansMq.Client.Consuming;
using OrleansMq.Client.Messages;
using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Tests.Fixtures;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Cluster;

public sealed class ConsumerGroupTests(GroupCluster fixture) : IClassFixture<GroupCluster>, IAsyncDisposable
{
    private readonly List<PushConsumer> _consumers = [];

    private async Task<PushConsumer> StartConsumerAsync(string group, string topic, MessageCollector collector, string name, PushConsumerOptions? options = null)
    {
        var consumer = fixture.Client.CreatePushConsumer((options ?? new PushConsumerOptions()) with
        {
            ConsumerGroup = group,
            InstanceName = name,
            ConsumeFrom = options?.ConsumeFrom ?? ConsumeFromWhere.FirstOffset,
            CommitInterval = TimeSpan.FromMilliseconds(200),
            LongPollWait = TimeSpan.FromSeconds(2),
        });
        consumer.Subscribe(topic);
        consumer.RegisterMessageListener(collector.Listener(name));
        await consumer.StartAsync();
        _consumers.Add(consumer);
        return consumer;
    }

    private async Task ProduceAsync(string topic, int from, int count)
    {
        await using var producer = fixture.Client.CreateProducer();
        await Task.WhenAll(Enumerable.Range(from, count).Select(i => producer.SendAsync(new Message(topic, $"m{i}"))));
    }

    /// <summary>Waits until the group has no pending moves and its live members hold disjoint queues covering the topic.</summary>
    private async Task<GroupDescription> WaitForStableAssignmentAsync(string group, int members, int queues, TimeSpan? timeout = null)
    {
        GroupDescription? last = null;
        await Wait.UntilAsync(
            async () =>
            {
                last = await fixture.Client.Admin.DescribeGroupAsync(group);
                var held = last.Members.SelectMany(m => m.Queues).ToList();
                return last.Members.Length == members && last.PendingMoves.Length == 0 && held.Count == queues && held.Distinct().Count() == queues;
            },
            $"group {group} to settle with {members} members holding {queues} queues",
            timeout,
            () => last is null ? "nothing" : $"{last.Members.Length} members, pending {string.Join(",", last.PendingMoves)}, holdings "
                + string.Join("; ", last.Members.Select(m => $"{m.MemberId[^6..]}: {string.Join(",", m.Queues)}")));
        return last!;
    }

    [Fact]
    public async Task ThreeConsumers_EightQueues_EachQueueHeldByExactlyOneMember()
    {
        var topic = TestTopics.Unique("group-own");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 8);
        var collector = new MessageCollector();
        for (var i = 0; i < 3; i++)
        {
            await StartConsumerAsync(group, topic, collector, $"c{i}");
        }

        var description = await WaitForStableAssignmentAsync(group, 3, 8);
        Assert.All(description.Members, m => Assert.InRange(m.Queues.Length, 2, 3));
        await Wait.UntilAsync(
            () => _consumers.Sum(c => c.AssignedQueues.Count) == 8 && _consumers.SelectMany(c => c.AssignedQueues).Distinct().Count() == 8,
            "the consumers themselves to run exactly the 8 queues between them");
    }

    [Fact]
    public async Task ConsumerStopsHeartbeating_ItsQueuesMoveWithinExpiryPlusMargin()
    {
        var topic = TestTopics.Unique("group-expiry");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 8);
        var collector = new MessageCollector();
        var consumers = new List<PushConsumer>();
        for (var i = 0; i < 3; i++)
        {
            consumers.Add(await StartConsumerAsync(group, topic, collector, $"c{i}"));
        }

        await WaitForStableAssignmentAsync(group, 3, 8);
        var victim = consumers[0];
        var victimQueues = victim.AssignedQueues.ToList();
        Assert.NotEmpty(victimQueues);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await victim.AbandonAsync(); // no unregister, no more heartbeats: looks like a dead process
        var margin = TimeSpan.FromSeconds(12); // still well under the default 30 s expiry, so it is the fast setting that moved them
        await WaitForStableAssignmentAsync(group, 2, 8, BrokerCluster.Fast.MemberExpiry + margin);
        Assert.True(clock.Elapsed <= BrokerCluster.Fast.MemberExpiry + margin);

        // And the survivors really consume the moved queues.
        await ProduceAsync(topic, 0, 200);
        await Wait.UntilAsync(() => collector.Distinct == 200, "200 messages consumed by the survivors", observed: collector.Describe);
        Assert.Empty(collector.ReceivedBy("c0"));
    }

    [Fact]
    public async Task MembersJoinAndLeaveGracefully_EveryMessageConsumedExactlyOnce()
    {
        var topic = TestTopics.Unique("group-exact");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 8);
        var collector = new MessageCollector();
        var first = await StartConsumerAsync(group, topic, collector, "c0");
        await StartConsumerAsync(group, topic, collector, "c1");

        await ProduceAsync(topic, 0, 1000);
        await StartConsumerAsync(group, topic, collector, "c2");
        await ProduceAsync(topic, 1000, 1000);
        _consumers.Remove(first);
        await first.DisposeAsync(); // graceful: drains, commits, leaves
        await ProduceAsync(topic, 2000, 1000);

        await Wait.UntilAsync(() => collector.Distinct == 3000, "3000 distinct messages", TimeSpan.FromSeconds(60), collector.Describe);
        await WaitForStableAssignmentAsync(group, 2, 8);
        Assert.True(collector.Total == 3000, $"{collector.Describe()}\n{collector.DescribeDuplicates()}");
    }

    [Fact]
    public async Task MemberCrashes_EveryMessageConsumedAtLeastOnce()
    {
        var topic = TestTopics.Unique("group-crash");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 8);
        var collector = new MessageCollector();
        var victim = await StartConsumerAsync(group, topic, collector, "c0");
        await StartConsumerAsync(group, topic, collector, "c1");
        await StartConsumerAsync(group, topic, collector, "c2");
        await WaitForStableAssignmentAsync(group, 3, 8);

        await ProduceAsync(topic, 0, 600);
        await victim.AbandonAsync();
        await ProduceAsync(topic, 600, 600);

        await Wait.UntilAsync(() => collector.Distinct == 1200, "1200 distinct messages after a member crashed", TimeSpan.FromSeconds(60), collector.Describe);
    }

    [Fact]
    public async Task StickyStrategy_FourthConsumerJoins_MovesTheMinimum()
    {
        var topic = TestTopics.Unique("group-sticky");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 8);
        var collector = new MessageCollector();
        var options = new PushConsumerOptions { AllocationStrategy = AllocationStrategy.Sticky };
        for (var i = 0; i < 3; i++)
        {
            await StartConsumerAsync(group, topic, collector, $"c{i}", options);
        }

        var before = await WaitForStableAssignmentAsync(group, 3, 8);
        var ownerBefore = before.Members.SelectMany(m => m.Queues.Select(q => (q, m.MemberId))).ToDictionary(p => p.q, p => p.MemberId);

        await StartConsumerAsync(group, topic, collector, "c3", options);
        var after = await WaitForStableAssignmentAsync(group, 4, 8);
        var ownerAfter = after.Members.SelectMany(m => m.Queues.Select(q => (q, m.MemberId))).ToDictionary(p => p.q, p => p.MemberId);

        Assert.All(after.Members, m => Assert.Equal(2, m.Queues.Length));
        Assert.Equal(2, ownerAfter.Count(p => ownerBefore[p.Key] != p.Value));
    }

    [Fact]
    public async Task Broadcasting_EveryConsumerGetsEveryMessage()
    {
        using var offsets = new TempDirectory("orleansmq-broadcast");
        var topic = TestTopics.Unique("broadcast");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 4);
        var collector = new MessageCollector();
        var options = new PushConsumerOptions { Mode = ConsumeMode.Broadcasting, OffsetStoreDirectory = offsets.Path };
        for (var i = 0; i < 3; i++)
        {
            await StartConsumerAsync(group, topic, collector, $"b{i}", options);
        }

        await ProduceAsync(topic, 0, 300);
        await Wait.UntilAsync(() => collector.Total == 900, "each of 3 broadcasting consumers to get all 300 messages", observed: collector.Describe);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(300, collector.ReceivedBy($"b{i}").Distinct().Count());
        }

        foreach (var consumer in _consumers)
        {
            await consumer.DisposeAsync();
        }

        _consumers.Clear();
        Assert.Equal(3, Directory.GetFiles(Path.Combine(offsets.Path, group)).Length);

        // Restarted broadcasting consumers resume from their local offsets: nothing is delivered twice.
        var again = new MessageCollector();
        await StartConsumerAsync(group, topic, again, "b0", options);
        await ProduceAsync(topic, 300, 10);
        await Wait.UntilAsync(() => again.Total >= 10, "the restarted broadcasting consumer to get the 10 new messages", observed: again.Describe);
        Assert.Equal(10, again.Total);

        // Stopped before the offset directory is deleted: stopping saves the offsets, which recreated the directory (a
        // leftover in the temp folder after every run).
        foreach (var consumer in _consumers)
        {
            await consumer.DisposeAsync();
        }

        _consumers.Clear();
    }

    [Fact]
    public async Task Commit_WithStaleLease_IsRejected()
    {
        var topic = TestTopics.Unique("group-fence");
        var group = fixture.Cluster.Client.GetGrain<IConsumerGroupGrain>(TestTopics.Unique("g"));
        await fixture.Client.Admin.CreateTopicAsync(topic, 2);
        var subscriptions = new[] { new Subscription(topic, FilterExpression.All) };

        var first = await group.RegisterAsync(new MemberRegistration("zombie", subscriptions, ConsumeMode.Clustering, AllocationStrategy.Averagely, null));
        Assert.Equal(2, first.Queues.Length);
        var staleLease = first.Queues[0].Lease;

        // The member goes silent past the expiry; a new member takes the queues under new leases.
        var second = await group.RegisterAsync(new MemberRegistration("successor", subscriptions, ConsumeMode.Clustering, AllocationStrategy.Averagely, null));
        await Wait.UntilAsync(
            async () => (await group.HeartbeatAsync(second.MemberId))?.Queues.Length == 2,
            "the successor to hold both queues after the zombie expired",
            BrokerCluster.Fast.MemberExpiry + TimeSpan.FromSeconds(6));

        var result = await group.CommitAsync(first.MemberId, [new OffsetCommit(topic, first.Queues[0].QueueId, staleLease, 42)]);
        Assert.False(result.KnownMember);
        Assert.Single(result.Rejected);

        var current = (await group.HeartbeatAsync(second.MemberId))!;
        var wrongLease = await group.CommitAsync(second.MemberId, [new OffsetCommit(topic, current.Queues[0].QueueId, staleLease, 42)]);
        Assert.Single(wrongLease.Rejected);
        var rightLease = await group.CommitAsync(second.MemberId, [new OffsetCommit(topic, current.Queues[0].QueueId, current.Queues[0].Lease, 7)]);
        Assert.Equal(1, rightLease.Accepted);
        Assert.Equal(7, await group.GetOffsetAsync(topic, current.Queues[0].QueueId));
    }

    [Fact]
    public async Task ConsumeFromTimestamp_StartsAtTheFirstMessageStoredAtOrAfterIt()
    {
        var topic = TestTopics.Unique("group-time");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await ProduceAsync(topic, 0, 20);
        var last = (await fixture.Client.Admin.GetTopicOffsetsAsync(topic)).Single();
        var consumerForTime = fixture.Client.CreatePullConsumer();
        var queue = (await consumerForTime.GetQueuesAsync(topic))[0];
        var newest = (await consumerForTime.PullAsync(queue, last.MaxOffset - 1, 1, TimeSpan.Zero)).Messages.Single();
        var boundary = DateTimeOffset.FromUnixTimeMilliseconds(newest.StoreTimestamp + 1);
        await Wait.UntilAsync(() => DateTimeOffset.UtcNow > boundary, "the clock to pass the last store timestamp");
        await ProduceAsync(topic, 20, 10);

        var collector = new MessageCollector();
        await StartConsumerAsync(group, topic, collector, "t0", new PushConsumerOptions { ConsumeFrom = ConsumeFromWhere.Timestamp, ConsumeTimestamp = boundary });
        await Wait.UntilAsync(() => collector.Distinct == 10, "the 10 messages stored after the timestamp", observed: collector.Describe);
        Assert.All(Enumerable.Range(20, 10), i => Assert.True(collector.Counts.ContainsKey($"m{i}")));
        Assert.Equal(10, collector.Total);
    }

    [Fact]
    public async Task Lag_CountsUnconsumedAndOldestAge_ThenFallsToZero()
    {
        var topic = TestTopics.Unique("group-lag");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 2);
        var collector = new MessageCollector();
        var consumer = await StartConsumerAsync(group, topic, collector, "l0");
        await WaitForStableAssignmentAsync(group, 1, 2);
        await consumer.DisposeAsync();
        _consumers.Remove(consumer);

        await ProduceAsync(topic, 0, 50);
        var lag = await fixture.Client.Admin.GetGroupLagAsync(group);
        Assert.Equal(50, lag.Sum(q => q.Lag));
        Assert.All(lag.Where(q => q.Lag > 0), q => Assert.NotNull(q.OldestUnconsumedAge));

        await StartConsumerAsync(group, topic, collector, "l1");
        await Wait.UntilAsync(
            async () => (await fixture.Client.Admin.GetGroupLagAsync(group)).Sum(q => q.Lag) == 0,
            "the group's lag to fall to zero",
            observed: () => collector.Describe());
    }

    [Fact]
    public async Task ResetOffsets_ToTheBeginning_RunningConsumerConsumesAgain()
    {
        var topic = TestTopics.Unique("group-reset");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 2);
        var collector = new MessageCollector();
        await StartConsumerAsync(group, topic, collector, "r0");
        await ProduceAsync(topic, 0, 40);
        await Wait.UntilAsync(() => collector.Distinct == 40, "40 messages consumed", observed: collector.Describe);

        var reset = await fixture.Client.Admin.ResetGroupOffsetsAsync(group, topic, DateTimeOffset.UnixEpoch);
        Assert.All(reset, r => Assert.Equal(0, r.Offset));
        await Wait.UntilAsync(() => collector.Total == 80, "every message consumed a second time after the reset", observed: collector.Describe);
    }

    [Fact]
    public async Task Broadcasting_FailingListener_MessageIsRedeliveredLocallyNotDropped_AndOffsetWaitsForIt()
    {
        // Broadcasting has no retry topic (as in RocketMQ), so a failed message is delivered again locally.
        using var offsets = new TempDirectory("orleansmq-broadcast-fail");
        var topic = TestTopics.Unique("group-fail");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var attempts = 0;
        var consumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = fixture.Client.CreatePushConsumer(new PushConsumerOptions
        {
            ConsumerGroup = group,
            Mode = ConsumeMode.Broadcasting,
            OffsetStoreDirectory = offsets.Path,
            ConsumeFrom = ConsumeFromWhere.FirstOffset,
            ReconsumeBackoff = TimeSpan.FromMilliseconds(50),
            CommitInterval = TimeSpan.FromMilliseconds(100),
        });
        consumer.Subscribe(topic);
        consumer.RegisterMessageListener((messages, context, ct) =>
        {
            if (Interlocked.Increment(ref attempts) < 3)
            {
                throw new InvalidOperationException("listener failure");
            }

            consumed.TrySetResult();
            return Task.FromResult(ConsumeConcurrentlyStatus.ConsumeSuccess);
        });
        await consumer.StartAsync();
        await ProduceAsync(topic, 0, 1);

        await Wait.ForAsync(consumed.Task, "the message to be consumed on its third attempt");
        Assert.Equal(3, attempts);
        await consumer.DisposeAsync();
        var saved = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(Path.Combine(offsets.Path, group, "DEFAULT.json")))!;
        Assert.Equal(1, saved[$"{topic}|0"]);
    }

    [Fact]
    public async Task OrderlyListener_KeepsQueueOrder_AndRetriesAFailingMessageInPlace()
    {
        var topic = TestTopics.Unique("group-orderly");
        var group = TestTopics.Unique("g");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        await ProduceAsync(topic, 0, 1); // m0 first, alone, so order below is the send order
        await using (var producer = fixture.Client.CreateProducer())
        {
            for (var i = 1; i < 50; i++)
            {
                await producer.SendAsync(new Message(topic, $"m{i}"));
            }
        }

        var seen = new List<string>();
        var failedOnce = false;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = fixture.Client.CreatePushConsumer(new PushConsumerOptions
        {
            ConsumerGroup = group,
            ConsumeFrom = ConsumeFromWhere.FirstOffset,
            SuspendCurrentQueueTime = TimeSpan.FromMilliseconds(50),
        });
        consumer.Subscribe(topic);
        consumer.RegisterMessageListener((messages, context, ct) =>
        {
            var body = messages[0].BodyAsString();
            if (body == "m10" && !failedOnce)
            {
                failedOnce = true;
                context.SuspendTime = TimeSpan.FromMilliseconds(20);
                return Task.FromResult(ConsumeOrderlyStatus.SuspendCurrentQueueAMoment);
            }

            seen.Add(body);
            if (seen.Count == 50)
            {
                done.TrySetResult();
            }

            return Task.FromResult(ConsumeOrderlyStatus.Success);
        });
        await consumer.StartAsync();
        _consumers.Add(consumer);

        await Wait.ForAsync(done.Task, "50 messages consumed in order");
        Assert.True(failedOnce);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"m{i}"), seen);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var consumer in _consumers)
        {
            await consumer.DisposeAsync();
        }
    }
}
