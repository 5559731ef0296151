using OrleansMq.Client.Admin;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Hosting;
using OrleansMq.Grains.Consumers;
using OrleansMq.TestKit;

namespace OrleansMq.Process.Tests.Fixtures;

/// <summary>Push consumers for the process tests and waits on their group's assignment.</summary>
public static class ConsumerGroups
{
    /// <summary>Starts a push consumer of <paramref name="group"/> on <paramref name="topic"/> from the first offset, committing every 200 ms.</summary>
    public static async Task<PushConsumer> StartConsumerAsync(MqClient client, string group, string topic, MessageCollector collector, string name, ConsumeFromWhere from = ConsumeFromWhere.FirstOffset)
    {
        var consumer = client.CreatePushConsumer(new PushConsumerOptions
        {
            ConsumerGroup = group,
            InstanceName = name,
            ConsumeFrom = from,
            CommitInterval = TimeSpan.FromMilliseconds(200),
            LongPollWait = TimeSpan.FromSeconds(2),
            PullErrorBackoff = TimeSpan.FromMilliseconds(500),
        });
        consumer.Subscribe(topic);
        consumer.RegisterMessageListener(collector.Listener(name));
        await consumer.StartAsync(TestContext.Current.CancellationToken);
        return consumer;
    }

    /// <summary>Waits until the group has <paramref name="members"/> members, no pending moves, and its members hold <paramref name="queues"/> distinct queues.</summary>
    public static async Task<GroupDescription> WaitForStableAssignmentAsync(MqAdmin admin, string group, int members, int queues, TimeSpan timeout)
    {
        GroupDescription? last = null;
        string? error = null;
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    last = await admin.DescribeGroupAsync(group);
                    error = null;
                }
                catch (Exception e) when (e is TimeoutException or OrleansException)
                {
                    error = e.Message; // the group grain may be moving off a dead silo
                    return false;
                }

                var held = last.Members.SelectMany(m => m.Queues).ToList();
                return last.Members.Length == members && last.PendingMoves.Length == 0 && held.Count == queues && held.Distinct().Count() == queues;
            },
            $"group {group} to settle with {members} members holding {queues} queues",
            timeout,
            () => error ?? (last is null ? "nothing" : $"generation {last.Generation}, {last.Members.Length} members, pending [{string.Join(",", last.PendingMoves)}], holdings "
                + string.Join("; ", last.Members.Select(m => $"{m.MemberId[^6..]}: {string.Join(",", m.Queues)}"))));
        return last!;
    }
}
