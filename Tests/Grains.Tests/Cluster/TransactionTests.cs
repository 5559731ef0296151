using OrleansMq.Client.Consuming;
using OrleansMq.Client.Messages;
using OrleansMq.Client.Producing;
using OrleansMq.Client.Transactions;
using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Tests.Fixtures;
using OrleansMq.Grains.Transactions;
using OrleansMq.Storage.Codec;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Cluster;

/// <summary>Transactional messages: half messages, commit and rollback, check-back on a scheduling clock the test moves.</summary>
public sealed class TransactionTests(ScheduledCluster fixture) : IClassFixture<ScheduledCluster>, IAsyncDisposable
{
    private static readonly TimeSpan TransactionTimeout = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(30);
    private const int MaxChecks = 15;

    private readonly List<IAsyncDisposable> _disposables = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }
    }

    [Fact]
    public async Task Commit_ConsumersSeeTheMessageExactlyOnce_AndNothingBeforeTheCommit()
    {
        var topic = TestTopics.Unique("tx-commit");
        var group = TestTopics.Unique("pg");
        await fixture.Client.Admin.CreateTopicAsync(topic, 2);
        var collector = new MessageCollector();
        await StartConsumerAsync(TestTopics.Unique("cg"), topic, collector);
        var entered = new TaskCompletionSource<(ReceivedMessage Message, object? Arg)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = new ScriptedTransactionListener("p1")
        {
            Execute = async (message, arg) =>
            {
                entered.TrySetResult((message, arg));
                await release.Task;
                return LocalTransactionState.Commit;
            },
        };
        var producer = await StartProducerAsync(group, listener);
        var message = new Message(topic, "paid") { Tag = "order" };
        message.Keys.Add("order-1");
        message.Properties["amount"] = "42";

        var sending = producer.SendMessageInTransactionAsync(message, arg: 42);
        var (half, arg) = await Wait.ForAsync(entered.Task, "the local transaction to start");
        Assert.Equal(42, arg);
        Assert.Equal(topic, half.Topic);
        Assert.Equal("42", half.Properties["amount"]);
        Assert.Equal(0, await TotalAsync(topic));
        Assert.Empty(await fixture.Client.Admin.FindMessagesByKeyAsync(topic, "order-1"));
        Assert.Equal(0, collector.Total);

        release.SetResult();
        var result = await Wait.ForAsync(sending, "the transactional send to finish");

        Assert.Equal(LocalTransactionState.Commit, result.LocalTransactionState);
        Assert.Equal(EndTransactionStatus.Committed, result.EndStatus);
        Assert.Equal(half.MessageId, result.TransactionId);
        Assert.Equal(0, result.QueueOffset);
        await Wait.UntilAsync(() => collector.Total == 1, "the group to consume the committed message", observed: collector.Describe);
        Assert.Equal(1, collector.Counts["paid"]);
        Assert.Equal(1, await TotalAsync(topic));
        var committed = await fixture.Client.Admin.FindMessageByIdAsync(result.MessageId!);
        Assert.NotNull(committed);
        Assert.Equal(topic, committed.Topic);
        Assert.Equal(result.UniqueKey, committed.UniqueKey);
        Assert.Equal(["order-1"], committed.Keys);
        Assert.Equal("order", committed.Tag);
        Assert.Equal("42", committed.Properties["amount"]);
        Assert.Equal("true", committed.GetProperty(PropertyNames.TransactionPrepared));
        Assert.Equal(group, committed.GetProperty(PropertyNames.ProducerGroup));
        Assert.Null(committed.GetProperty(PropertyNames.RealTopic));
        Assert.Null(committed.GetProperty(PropertyNames.TransactionProducer));
        Assert.Equal(MessageFlags.TransactionCommit, committed.Flags & (MessageFlags.TransactionCommit | MessageFlags.TransactionPrepared));
        Assert.Equal(0, await PendingAsync());
    }

    [Fact]
    public async Task Rollback_MessageNeverVisible_AndNeverCheckedBack()
    {
        var topic = TestTopics.Unique("tx-rollback");
        await fixture.Client.Admin.CreateTopicAsync(topic, 2);
        var listener = new ScriptedTransactionListener("p1") { Execute = (_, _) => Task.FromResult(LocalTransactionState.Rollback) };
        var producer = await StartProducerAsync(TestTopics.Unique("pg"), listener);

        var result = await producer.SendMessageInTransactionAsync(new Message(topic, "cancelled"));

        Assert.Equal(LocalTransactionState.Rollback, result.LocalTransactionState);
        Assert.Equal(EndTransactionStatus.RolledBack, result.EndStatus);
        Assert.Null(result.MessageId);
        Assert.Equal(-1, result.QueueOffset);
        await fixture.AdvanceSchedulingTimeAsync(TimeSpan.FromMinutes(10));
        Assert.Empty(listener.Checked);
        Assert.Equal(0, await TotalAsync(topic));
        Assert.Empty(await fixture.Client.Admin.FindMessagesByUniqueKeyAsync(topic, result.UniqueKey));
        Assert.Equal(EndTransactionStatus.AlreadyRolledBack, (await fixture.Client.Admin.EndTransactionAsync(result.TransactionId, LocalTransactionState.Commit)).Status);
    }

    [Fact]
    public async Task Unknown_CheckedBackAfterTheTransactionTimeout_CheckCommits()
    {
        var topic = TestTopics.Unique("tx-check-commit");
        await fixture.Client.Admin.CreateTopicAsync(topic, 2);
        var listener = new ScriptedTransactionListener("p1")
        {
            Execute = (_, _) => Task.FromResult(LocalTransactionState.Unknown),
            Check = _ => LocalTransactionState.Commit,
        };
        var producer = await StartProducerAsync(TestTopics.Unique("pg"), listener);

        var result = await producer.SendMessageInTransactionAsync(new Message(topic, "later"));
        Assert.Equal(LocalTransactionState.Unknown, result.LocalTransactionState);
        Assert.Equal(EndTransactionStatus.Invalid, result.EndStatus);
        Assert.Null(result.MessageId);

        await fixture.AdvanceSchedulingTimeAsync(TransactionTimeout - TimeSpan.FromSeconds(1));
        Assert.Empty(listener.Checked);
        Assert.Equal(0, await TotalAsync(topic));

        await fixture.AdvanceSchedulingTimeAsync(TimeSpan.FromSeconds(1));
        var check = Assert.Single(listener.Checked);
        Assert.Equal(result.TransactionId, check.MessageId);
        Assert.Equal(Assert.Single(listener.Executed).MessageId, check.MessageId);
        Assert.Equal(topic, check.Topic);
        Assert.Equal(result.Queue.QueueId, check.QueueId);
        Assert.Equal(result.UniqueKey, check.UniqueKey);
        Assert.Equal("later", check.BodyAsString());
        Assert.Equal(1, await TotalAsync(topic));
        var committed = Assert.Single(await fixture.Client.Admin.FindMessagesByUniqueKeyAsync(topic, result.UniqueKey));
        Assert.Equal("later", committed.BodyAsString());
        Assert.Equal(0, await PendingAsync());
        Assert.Equal(EndTransactionStatus.AlreadyCommitted, (await fixture.Client.Admin.EndTransactionAsync(result.TransactionId, LocalTransactionState.Rollback)).Status);
    }

    [Fact]
    public async Task Unknown_CheckRollsBack_NeverVisible()
    {
        var topic = TestTopics.Unique("tx-check-rollback");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var listener = new ScriptedTransactionListener("p1")
        {
            Execute = (_, _) => Task.FromResult(LocalTransactionState.Unknown),
            Check = _ => LocalTransactionState.Rollback,
        };
        var producer = await StartProducerAsync(TestTopics.Unique("pg"), listener);
        var result = await producer.SendMessageInTransactionAsync(new Message(topic, "no"));

        await fixture.AdvanceSchedulingTimeAsync(TransactionTimeout);
        Assert.Single(listener.Checked);
        await fixture.AdvanceSchedulingTimeAsync(CheckInterval * 2);

        Assert.Single(listener.Checked);
        Assert.Equal(0, await TotalAsync(topic));
        Assert.Equal(0, await PendingAsync());
        Assert.Equal(EndTransactionStatus.AlreadyRolledBack, (await fixture.Client.Admin.EndTransactionAsync(result.TransactionId, LocalTransactionState.Commit)).Status);
    }

    [Fact]
    public async Task ListenerThrows_CountsAsUnknown_CheckBackResolves()
    {
        var topic = TestTopics.Unique("tx-throws");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var listener = new ScriptedTransactionListener("p1")
        {
            Execute = (_, _) => throw new InvalidOperationException("database down"),
            Check = _ => LocalTransactionState.Commit,
        };
        var producer = await StartProducerAsync(TestTopics.Unique("pg"), listener);

        var result = await producer.SendMessageInTransactionAsync(new Message(topic, "survived"));
        Assert.Equal(LocalTransactionState.Unknown, result.LocalTransactionState);

        await fixture.AdvanceSchedulingTimeAsync(TransactionTimeout);
        Assert.Equal(1, await TotalAsync(topic));
    }

    [Fact]
    public async Task Unknown_AnsweredUnknownEveryTime_CheckedFifteenTimesThenDiscarded()
    {
        var topic = TestTopics.Unique("tx-max-checks");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var listener = new ScriptedTransactionListener("p1") { Execute = (_, _) => Task.FromResult(LocalTransactionState.Unknown) };
        var producer = await StartProducerAsync(TestTopics.Unique("pg"), listener);
        var result = await producer.SendMessageInTransactionAsync(new Message(topic, "undecided"));

        await fixture.AdvanceSchedulingTimeAsync(TransactionTimeout);
        Assert.Single(listener.Checked);
        for (var check = 2; check <= MaxChecks; check++)
        {
            Assert.Equal(1, await PendingAsync());
            await fixture.AdvanceSchedulingTimeAsync(CheckInterval);
            Assert.Equal(check, listener.Checked.Count);
        }

        Assert.Equal(0, await PendingAsync());
        await fixture.AdvanceSchedulingTimeAsync(CheckInterval * 3);
        Assert.Equal(MaxChecks, listener.Checked.Count);
        Assert.Equal(0, await TotalAsync(topic));
        var end = await fixture.Client.Admin.EndTransactionAsync(result.TransactionId, LocalTransactionState.Commit);
        Assert.Equal(EndTransactionStatus.AlreadyDiscarded, end.Status);
    }

    [Fact]
    public async Task Unknown_NoLiveProducerInTheGroup_DiscardedAfterTheMostChecks()
    {
        var topic = TestTopics.Unique("tx-orphan");
        var group = TestTopics.Unique("pg");
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var listener = new ScriptedTransactionListener("p1") { Execute = (_, _) => Task.FromResult(LocalTransactionState.Unknown) };
        var producer = await StartProducerAsync(group, listener);
        await producer.SendMessageInTransactionAsync(new Message(topic, "orphan"));
        await producer.DisposeAsync();
        Assert.Empty(await fixture.Client.Admin.DescribeProducerGroupAsync(group));

        await fixture.AdvanceSchedulingTimeAsync(TransactionTimeout);
        for (var check = 2; check <= MaxChecks; check++)
        {
            Assert.Equal(1, await fixture.Client.Admin.GetPendingTransactionCountAsync(route.Queues[0].Broker));
            await fixture.AdvanceSchedulingTimeAsync(CheckInterval);
        }

        Assert.Equal(0, await fixture.Client.Admin.GetPendingTransactionCountAsync(route.Queues[0].Broker));
        Assert.Empty(listener.Checked);
        Assert.Equal(0, await TotalAsync(topic));
    }

    [Fact]
    public async Task HalfMessage_SurvivesABrokerRestartWithItsCheckCount_ThenCommittedByCheckBack()
    {
        var topic = TestTopics.Unique("tx-restart");
        var group = TestTopics.Unique("pg");
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var broker = route.Queues[0].Broker;
        var listener = new ScriptedTransactionListener("p1") { Execute = (_, _) => Task.FromResult(LocalTransactionState.Unknown) };
        var producer = await StartProducerAsync(group, listener);
        var result = await producer.SendMessageInTransactionAsync(new Message(topic, "durable"));
        await fixture.AdvanceSchedulingTimeAsync(TransactionTimeout);
        Assert.Single(listener.Checked); // answered Unknown

        await fixture.RestartBrokerAsync(broker);
        Assert.Equal(1, await fixture.Client.Admin.GetPendingTransactionCountAsync(broker));
        Assert.Equal(0, await TotalAsync(topic));
        await Wait.UntilAsync(async () => (await fixture.Client.Admin.DescribeProducerGroupAsync(group)).Count == 1, $"producer group {group} to know its producer again");

        // The check made before the restart still counts: the next one is a check interval after it, not a transaction timeout after the restart.
        listener.Check = _ => LocalTransactionState.Commit;
        await fixture.AdvanceSchedulingTimeAsync(CheckInterval - TimeSpan.FromSeconds(1));
        Assert.Single(listener.Checked);
        await fixture.AdvanceSchedulingTimeAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(2, listener.Checked.Count);
        Assert.Equal(1, await TotalAsync(topic));
        Assert.Equal(0, await fixture.Client.Admin.GetPendingTransactionCountAsync(broker));
        Assert.Equal("durable", Assert.Single(await fixture.Client.Admin.FindMessagesByUniqueKeyAsync(topic, result.UniqueKey)).BodyAsString());
    }

    [Fact]
    public async Task ManyConcurrentTransactions_MixedOutcomes_SurviveRestartsOfEveryBroker()
    {
        const int count = 300;
        var topic = TestTopics.Unique("tx-many");
        await fixture.Client.Admin.CreateTopicAsync(topic, 4);
        var listener = new ScriptedTransactionListener("p1")
        {
            Execute = (message, _) => Task.FromResult((int.Parse(message.BodyAsString()[1..], System.Globalization.CultureInfo.InvariantCulture) % 3) switch
            {
                0 => LocalTransactionState.Commit,
                1 => LocalTransactionState.Rollback,
                _ => LocalTransactionState.Unknown,
            }),
            Check = message => LocalTransactionState.Commit,
        };
        var producer = await StartProducerAsync(TestTopics.Unique("pg"), listener);
        var pendingBefore = await PendingAsync();

        var results = await Wait.ForAsync(
            Task.WhenAll(Enumerable.Range(0, count).Select(i => producer.SendMessageInTransactionAsync(new Message(topic, $"m{i}")))),
            $"{count} transactional sends");
        Assert.Equal(count / 3, results.Count(r => r.EndStatus == EndTransactionStatus.Committed));
        Assert.Equal(count / 3, results.Count(r => r.EndStatus == EndTransactionStatus.RolledBack));
        Assert.Equal(count / 3, await TotalAsync(topic));
        Assert.Equal(pendingBefore + (count / 3), await PendingAsync());

        foreach (var silo in fixture.Cluster.Silos.Select(s => s.Name).ToList())
        {
            await fixture.RestartBrokerAsync(silo);
        }

        Assert.Equal(pendingBefore + (count / 3), await PendingAsync());
        Assert.Equal(count / 3, await TotalAsync(topic));
        await Wait.UntilAsync(async () => (await fixture.Client.Admin.DescribeProducerGroupAsync(producer.Options.ProducerGroup)).Count == 1, "the producer group to know its producer again");
        await fixture.AdvanceSchedulingTimeAsync(TransactionTimeout);

        Assert.Equal(count / 3, listener.Checked.Count);
        Assert.Equal(2 * count / 3, await TotalAsync(topic));
        Assert.Equal(pendingBefore, await PendingAsync());
        var consumer = fixture.Client.CreatePullConsumer();
        var bodies = new List<string>();
        foreach (var queue in await consumer.GetQueuesAsync(topic))
        {
            bodies.AddRange((await consumer.PullAsync(queue, 0, 1000, TimeSpan.Zero)).Messages.Select(m => m.BodyAsString()));
        }

        Assert.Equal(Enumerable.Range(0, count).Where(i => i % 3 != 1).Select(i => $"m{i}").Order(), bodies.Order());
    }

    [Fact]
    public async Task SlowLocalTransaction_CheckedBackWhileRunning_CommittedOnceWhoeverIsFirst()
    {
        var topic = TestTopics.Unique("tx-slow");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = new ScriptedTransactionListener("p1")
        {
            Execute = async (_, _) =>
            {
                entered.TrySetResult();
                await release.Task;
                return LocalTransactionState.Commit;
            },
            Check = _ => LocalTransactionState.Commit, // the local transaction already knows it will commit
        };
        var producer = await StartProducerAsync(TestTopics.Unique("pg"), listener);
        var sending = producer.SendMessageInTransactionAsync(new Message(topic, "slow"));
        await Wait.ForAsync(entered.Task, "the local transaction to start");

        await fixture.AdvanceSchedulingTimeAsync(TransactionTimeout);
        Assert.Single(listener.Checked);
        Assert.Equal(1, await TotalAsync(topic));
        release.SetResult();
        var result = await Wait.ForAsync(sending, "the transactional send to finish");

        Assert.Equal(LocalTransactionState.Commit, result.LocalTransactionState);
        Assert.Equal(EndTransactionStatus.AlreadyCommitted, result.EndStatus);
        Assert.Equal(1, await TotalAsync(topic));
    }

    [Fact]
    public async Task Finished_StayFinishedAfterABrokerRestart()
    {
        var topic = TestTopics.Unique("tx-finished-restart");
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var broker = route.Queues[0].Broker;
        var listener = new ScriptedTransactionListener("p1") { Check = _ => LocalTransactionState.Commit };
        var producer = await StartProducerAsync(TestTopics.Unique("pg"), listener);
        TransactionSendResult? committed = null;
        for (var i = 0; i < 5; i++)
        {
            committed = await producer.SendMessageInTransactionAsync(new Message(topic, $"c{i}"));
        }

        listener.Execute = (_, _) => Task.FromResult(LocalTransactionState.Rollback);
        var rolledBack = await producer.SendMessageInTransactionAsync(new Message(topic, "r"));

        await fixture.RestartBrokerAsync(broker);
        await fixture.AdvanceSchedulingTimeAsync(TimeSpan.FromMinutes(10));

        // Recovery starts where the newest marker says everything before was finished: at most the last half message.
        Assert.InRange(fixture.TransactionsOf(broker).LastRecovery.Halves, 0, 1);
        Assert.Equal(0, await fixture.Client.Admin.GetPendingTransactionCountAsync(broker));
        Assert.Empty(listener.Checked);
        Assert.Equal(5, await TotalAsync(topic));
        Assert.Equal(EndTransactionStatus.AlreadyCommitted, (await fixture.Client.Admin.EndTransactionAsync(committed!.TransactionId, LocalTransactionState.Commit)).Status);
        Assert.Equal(EndTransactionStatus.AlreadyRolledBack, (await fixture.Client.Admin.EndTransactionAsync(rolledBack.TransactionId, LocalTransactionState.Commit)).Status);
    }

    [Fact]
    public async Task CheckBack_OriginalProducerDied_AnotherLiveProducerOfTheGroupAnswers()
    {
        var topic = TestTopics.Unique("tx-failover");
        var group = TestTopics.Unique("pg");
        await fixture.Client.Admin.CreateTopicAsync(topic, 2);
        var first = new ScriptedTransactionListener("p1")
        {
            Execute = (_, _) => Task.FromResult(LocalTransactionState.Unknown),
            Check = _ => LocalTransactionState.Rollback,
        };
        var second = new ScriptedTransactionListener("p2") { Check = _ => LocalTransactionState.Commit };
        var dying = await StartProducerAsync(group, first);
        await StartProducerAsync(group, second);
        var result = await dying.SendMessageInTransactionAsync(new Message(topic, "rescued"));

        await dying.AbandonAsync(); // gone without leaving the group: the group still lists it until it expires
        Assert.Equal(2, (await fixture.Client.Admin.DescribeProducerGroupAsync(group)).Count);
        await fixture.AdvanceSchedulingTimeAsync(TransactionTimeout);

        Assert.Empty(first.Checked);
        Assert.Equal(result.TransactionId, Assert.Single(second.Checked).MessageId);
        Assert.Equal(1, await TotalAsync(topic));
    }

    [Fact]
    public async Task ProducerGroup_ProducersJoinLeaveAndExpire()
    {
        var group = TestTopics.Unique("pg");
        var staying = await StartProducerAsync(group, new ScriptedTransactionListener("p1"));
        var leaving = await StartProducerAsync(group, new ScriptedTransactionListener("p2"));
        var dying = await StartProducerAsync(group, new ScriptedTransactionListener("p3"));
        Assert.Equal(
            new[] { staying.ProducerId, leaving.ProducerId, dying.ProducerId }.Order(StringComparer.Ordinal),
            (await fixture.Client.Admin.DescribeProducerGroupAsync(group)).Select(p => p.ProducerId));

        await leaving.DisposeAsync();
        await dying.AbandonAsync();
        Assert.Equal(2, (await fixture.Client.Admin.DescribeProducerGroupAsync(group)).Count);
        await Wait.UntilAsync(
            async () => (await fixture.Client.Admin.DescribeProducerGroupAsync(group)).Count == 1,
            $"producer group {group} to expire the producer that stopped heartbeating ({BrokerCluster.Fast.MemberExpiry})");
        Assert.Equal(staying.ProducerId, Assert.Single(await fixture.Client.Admin.DescribeProducerGroupAsync(group)).ProducerId);
    }

    [Fact]
    public async Task EndTransaction_UnknownFinishedOrForeign_ClearStatusAndError()
    {
        var topic = TestTopics.Unique("tx-end");
        var group = TestTopics.Unique("pg");
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var broker = route.Queues[0].Broker;
        var listener = new ScriptedTransactionListener("p1") { Execute = (_, _) => Task.FromResult(LocalTransactionState.Unknown) };
        var producer = await StartProducerAsync(group, listener);
        var pending = await producer.SendMessageInTransactionAsync(new Message(topic, "pending"));
        Assert.True(MessageId.TryParse(pending.TransactionId, out var id));
        var coordinator = fixture.Client.ClusterClient.GetGrain<ITransactionCoordinatorGrain>(broker);

        var malformed = await Assert.ThrowsAsync<ArgumentException>(() => fixture.Client.Admin.EndTransactionAsync("not-an-id", LocalTransactionState.Commit));
        Assert.Contains("32 hexadecimal digits", malformed.Message);
        var unknownState = await Assert.ThrowsAsync<ArgumentException>(() => fixture.Client.Admin.EndTransactionAsync(pending.TransactionId, LocalTransactionState.Unknown));
        Assert.Contains("Commit or Rollback", unknownState.Message);
        var unknownStateAtBroker = await Assert.ThrowsAsync<InvalidRequestException>(() => coordinator.EndTransactionAsync(new EndTransactionRequest(id.LogOffset, LocalTransactionState.Unknown, group)));
        Assert.Contains("Commit or Rollback", unknownStateAtBroker.Message);

        var nowhere = await fixture.Client.Admin.EndTransactionAsync(new MessageId(id.StoreId, id.LogOffset + 1_000_000).ToString(), LocalTransactionState.Commit);
        Assert.Equal(EndTransactionStatus.NotFound, nowhere.Status);
        Assert.Contains("no half message at log offset", nowhere.Error);

        await using (var plain = fixture.Client.CreateProducer())
        {
            var normal = await plain.SendAsync(new Message(topic, "plain"));
            var notAHalf = await fixture.Client.Admin.EndTransactionAsync(normal.MessageId, LocalTransactionState.Commit);
            Assert.Equal(EndTransactionStatus.NotFound, notAHalf.Status);
            Assert.Contains("no half message at log offset", notAHalf.Error);
        }

        var foreign = await coordinator.EndTransactionAsync(new EndTransactionRequest(id.LogOffset, LocalTransactionState.Commit, "another-group"));
        Assert.Equal(EndTransactionStatus.GroupMismatch, foreign.Status);
        Assert.Contains($"prepared by producer group '{group}'", foreign.Error);
        Assert.Equal(1, await TotalAsync(topic)); // the plain message only

        var badGroup = await Assert.ThrowsAsync<InvalidRequestException>(() => coordinator.EndTransactionAsync(new EndTransactionRequest(id.LogOffset, LocalTransactionState.Commit, "bad group!")));
        Assert.Contains("Group name 'bad group!'", badGroup.Message);

        Assert.Equal(EndTransactionStatus.RolledBack, (await fixture.Client.Admin.EndTransactionAsync(pending.TransactionId, LocalTransactionState.Rollback)).Status);
        var again = await fixture.Client.Admin.EndTransactionAsync(pending.TransactionId, LocalTransactionState.Commit);
        Assert.Equal(EndTransactionStatus.AlreadyRolledBack, again.Status);
        Assert.Contains("already finished", again.Error);
        Assert.Equal(1, await TotalAsync(topic));
    }

    [Fact]
    public async Task Prepare_BadRequestsAtTheBroker_RefusedWithTheReason()
    {
        var topic = TestTopics.Unique("tx-prepare-bad");
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var broker = route.Queues[0].Broker;
        var other = fixture.Cluster.Silos.First(s => s.Name != broker).Name;
        var batch = new System.Buffers.ArrayBufferWriter<byte>();
        MessageBatchWriter.Write(batch, 0, MessageFlags.None, MessageProperties.Encode([]), "x"u8);
        var coordinator = fixture.Client.ClusterClient.GetGrain<ITransactionCoordinatorGrain>(broker);
        var pendingBefore = await coordinator.GetPendingCountAsync();

        var badGroup = await Assert.ThrowsAsync<InvalidRequestException>(() => coordinator.PrepareAsync(new PrepareRequest(topic, 0, batch.WrittenMemory.ToArray(), "", "p")));
        Assert.Contains("Group name is empty", badGroup.Message);
        var noProducer = await Assert.ThrowsAsync<InvalidRequestException>(() => coordinator.PrepareAsync(new PrepareRequest(topic, 0, batch.WrittenMemory.ToArray(), "pg", "")));
        Assert.Contains("Producer id", noProducer.Message);

        var notOwned = await fixture.Client.ClusterClient.GetGrain<ITransactionCoordinatorGrain>(other).PrepareAsync(new PrepareRequest(topic, 0, batch.WrittenMemory.ToArray(), "pg", "p"));
        Assert.Equal(SendStatus.QueueNotOwned, notOwned.Status);
        var missing = await coordinator.PrepareAsync(new PrepareRequest(TestTopics.Unique("tx-none"), 0, batch.WrittenMemory.ToArray(), "pg", "p"));
        Assert.Equal(SendStatus.TopicNotFound, missing.Status);

        var delayed = new System.Buffers.ArrayBufferWriter<byte>();
        MessageBatchWriter.Write(delayed, 0, MessageFlags.Scheduled, MessageProperties.Encode([new(PropertyNames.DelayLevel, "3")]), "x"u8);
        var refused = await coordinator.PrepareAsync(new PrepareRequest(topic, 0, delayed.WrittenMemory.ToArray(), "pg", "p"));
        Assert.Equal(SendStatus.MessageIllegal, refused.Status);
        Assert.Contains("cannot be a delay or timer message", refused.Error);

        var two = new System.Buffers.ArrayBufferWriter<byte>();
        MessageBatchWriter.Write(two, 0, MessageFlags.None, [], "a"u8);
        MessageBatchWriter.Write(two, 0, MessageFlags.None, [], "b"u8);
        var many = await coordinator.PrepareAsync(new PrepareRequest(topic, 0, two.WrittenMemory.ToArray(), "pg", "p"));
        Assert.Equal(SendStatus.MessageIllegal, many.Status);
        Assert.Contains("exactly one", many.Error);
        Assert.Equal(pendingBefore, await coordinator.GetPendingCountAsync());
    }

    [Fact]
    public async Task TransactionProducer_BadConfigurationOrUse_RefusedWithWhatIsAllowed()
    {
        var listener = new ScriptedTransactionListener("p");
        var noListener = Assert.Throws<ArgumentNullException>(() => fixture.Client.CreateTransactionProducer(new ProducerOptions { ProducerGroup = "pg-x" }, null!));
        Assert.Contains("ITransactionListener", noListener.Message);
        var defaultGroup = Assert.Throws<ArgumentException>(() => fixture.Client.CreateTransactionProducer(new ProducerOptions(), listener));
        Assert.Contains("the default group", defaultGroup.Message);
        var badGroup = Assert.Throws<ArgumentException>(() => fixture.Client.CreateTransactionProducer(new ProducerOptions { ProducerGroup = "bad group!" }, listener));
        Assert.Contains("ProducerOptions.ProducerGroup", badGroup.Message);

        var producer = fixture.Client.CreateTransactionProducer(new ProducerOptions { ProducerGroup = TestTopics.Unique("pg") }, listener);
        var notStarted = await Assert.ThrowsAsync<InvalidOperationException>(() => producer.SendMessageInTransactionAsync(new Message("t", "x")));
        Assert.Contains("call StartAsync", notStarted.Message);
        await producer.StartAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => producer.StartAsync());
        var delayed = await Assert.ThrowsAsync<ArgumentException>(() => producer.SendMessageInTransactionAsync(new Message("t", "x") { DelayLevel = 3 }));
        Assert.Contains("cannot be a delay or timer message", delayed.Message);
        var system = await Assert.ThrowsAsync<ArgumentException>(() => producer.SendMessageInTransactionAsync(new Message("RMQ_SYS_TRANS_HALF_TOPIC", "x")));
        Assert.Contains("reserved system topic", system.Message);
        Assert.Empty(listener.Executed);
        await producer.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => producer.SendMessageInTransactionAsync(new Message("t", "x")));
    }

    private async Task<TransactionProducer> StartProducerAsync(string group, ITransactionListener listener)
    {
        var producer = fixture.Client.CreateTransactionProducer(new ProducerOptions { ProducerGroup = group }, listener);
        _disposables.Add(producer);
        await producer.StartAsync();
        return producer;
    }

    private async Task StartConsumerAsync(string group, string topic, MessageCollector collector)
    {
        var consumer = fixture.Client.CreatePushConsumer(new PushConsumerOptions
        {
            ConsumerGroup = group,
            ConsumeFrom = ConsumeFromWhere.FirstOffset,
            CommitInterval = TimeSpan.FromMilliseconds(200),
            LongPollWait = TimeSpan.FromSeconds(2),
        });
        consumer.Subscribe(topic);
        consumer.RegisterMessageListener(collector.Listener("c1"));
        _disposables.Add(consumer);
        await consumer.StartAsync();
    }

    private async Task<int> PendingAsync()
    {
        var total = 0;
        foreach (var silo in fixture.Cluster.Silos)
        {
            total += await fixture.Client.Admin.GetPendingTransactionCountAsync(silo.Name);
        }

        return total;
    }

    private async Task<long> TotalAsync(string topic) => (await fixture.Client.Admin.GetTopicOffsetsAsync(topic)).Sum(q => q.MaxOffset);
}
