using OrleansMq.Client.Messages;
using OrleansMq.Grains;
using OrleansMq.Grains.Brokers;
using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Routing;
using OrleansMq.Grains.Transactions;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Client.Admin;

/// <summary>Administration: topics, brokers, message lookup (RocketMQ mqadmin's core).</summary>
/// <remarks>Thread-safe.</remarks>
public sealed partial class MqAdmin
{
    private readonly IClusterClient _client;

    internal MqAdmin(IClusterClient client) => _client = client;

    /// <summary>Creates a topic; its queues go to the live brokers with fewest queues.</summary>
    /// <exception cref="TopicExistsException">It exists.</exception>
    /// <exception cref="InvalidRequestException">Bad name or queue count.</exception>
    public Task<TopicRoute> CreateTopicAsync(string topic, int queueCount, TopicPermission permission = TopicPermission.ReadWrite) =>
        Route(topic).CreateAsync(new TopicConfig(queueCount, permission));

    /// <summary>Grows a topic's queue count and/or changes its permission.</summary>
    public Task<TopicRoute> UpdateTopicAsync(string topic, int queueCount, TopicPermission permission = TopicPermission.ReadWrite) =>
        Route(topic).UpdateAsync(new TopicConfig(queueCount, permission));

    /// <summary>Deletes a topic and its queues; false when it did not exist.</summary>
    public Task<bool> DeleteTopicAsync(string topic) => Route(topic).DeleteAsync();

    /// <summary>A topic's route, or null.</summary>
    public Task<TopicRoute?> GetRouteAsync(string topic) => Route(topic).GetRouteAsync();

    /// <summary>Every topic name.</summary>
    public async Task<IReadOnlyList<string>> ListTopicsAsync() => await _client.GetGrain<ITopicRegistryGrain>(0).ListAsync();

    /// <summary>Every broker ever registered, with liveness.</summary>
    public async Task<IReadOnlyList<BrokerInfo>> ListBrokersAsync() => await _client.GetGrain<IBrokerRegistryGrain>(0).ListAsync();

    /// <summary>Store positions and disk usage of a live broker.</summary>
    public Task<BrokerStatus> GetBrokerStatusAsync(string broker) => _client.GetGrain<IBrokerGrain>(broker).GetStatusAsync();

    /// <summary>Offsets of every queue of a topic.</summary>
    /// <exception cref="TopicNotFoundException">No such topic.</exception>
    public async Task<IReadOnlyList<QueueStatus>> GetTopicOffsetsAsync(string topic)
    {
        var route = await Route(topic).GetRouteAsync() ?? throw new TopicNotFoundException(topic);
        var calls = new Task<QueueOffsets>[route.Queues.Length];
        for (var i = 0; i < calls.Length; i++)
        {
            calls[i] = Queue(topic, route.Queues[i]).GetOffsetsAsync();
        }

        var offsets = await Task.WhenAll(calls);
        var result = new QueueStatus[offsets.Length];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = new QueueStatus(topic, route.Queues[i].QueueId, offsets[i].Min, offsets[i].Max);
        }

        return result;
    }

    /// <summary>A message by its broker-assigned id, or null when not (or no longer) stored.</summary>
    /// <exception cref="ArgumentException">Not a message id (32 hex digits).</exception>
    public async Task<ReceivedMessage?> FindMessageByIdAsync(string messageId)
    {
        var (broker, id) = await LocateAsync(messageId);
        if (broker is null)
        {
            return null;
        }

        var data = await _client.GetGrain<IBrokerGrain>(broker).GetMessageAsync(id.LogOffset);
        return data is null ? null : ReceivedMessage.FromData(data);
    }

    /// <summary>Cancels a pending delay or timer message by the id its send returned; false when it is no longer pending.</summary>
    /// <exception cref="ArgumentException">Not a message id.</exception>
    public async Task<bool> CancelScheduledMessageAsync(string messageId)
    {
        var (broker, id) = await LocateAsync(messageId);
        return broker is not null && await _client.GetGrain<IBrokerGrain>(broker).CancelTimerAsync(id.LogOffset);
    }

    /// <summary>Sends a dead-lettered message (by its id in <c>%DLQ%group</c>) back to its original topic as a new message.</summary>
    /// <exception cref="ArgumentException">Not a message id, or its broker is unknown.</exception>
    /// <exception cref="InvalidRequestException">The message is not a dead-lettered message.</exception>
    public async Task<SendBackResult> ResendDeadLetterAsync(string messageId)
    {
        var (broker, id) = await LocateAsync(messageId);
        return broker is null
            ? throw new ArgumentException($"No broker with the store id of message '{messageId}' is registered.", nameof(messageId))
            : await _client.GetGrain<IBrokerGrain>(broker).ResendDeadLetterAsync(id.LogOffset);
    }

    private async Task<(string? Broker, MessageId Id)> LocateAsync(string messageId)
    {
        if (!MessageId.TryParse(messageId, out var id))
        {
            throw new ArgumentException($"'{messageId}' is not a message id; ids are {MessageId.Length} hexadecimal digits.", nameof(messageId));
        }

        return (await _client.GetGrain<IBrokerRegistryGrain>(0).FindByStoreIdAsync(id.StoreId), id);
    }

    /// <summary>Messages of a topic with a client unique key (more than one if a retry stored it twice).</summary>
    public Task<IReadOnlyList<ReceivedMessage>> FindMessagesByUniqueKeyAsync(string topic, string uniqueKey) =>
        FanOutAsync(topic, broker => broker.QueryByUniqueKeyAsync(topic, uniqueKey), int.MaxValue);

    /// <summary>Messages of a topic carrying a business key, newest first, stored within the time range.</summary>
    public Task<IReadOnlyList<ReceivedMessage>> FindMessagesByKeyAsync(string topic, string key, int maxResults = 32, DateTimeOffset? begin = null, DateTimeOffset? end = null)
    {
        var from = (begin ?? DateTimeOffset.UnixEpoch).ToUnixTimeMilliseconds();
        var to = (end ?? DateTimeOffset.MaxValue).ToUnixTimeMilliseconds();
        return FanOutAsync(topic, broker => broker.QueryByKeyAsync(topic, key, maxResults, from, to), maxResults);
    }

    /// <summary>
    /// Messages of one queue stored within [<paramref name="begin"/>, <paramref name="end"/>] (inclusive), oldest first,
    /// at most <paramref name="maxResults"/>: the queue's offset at <paramref name="begin"/> is found by binary search
    /// over store times, then the queue is read forward until <paramref name="end"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Begin after end, or <paramref name="maxResults"/> outside 1..<see cref="MaxQueryResults"/>.</exception>
    public async Task<IReadOnlyList<ReceivedMessage>> FindMessagesByTimeAsync(MessageQueue queue, DateTimeOffset begin, DateTimeOffset end, int maxResults = 32)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ValidateTimeRange(begin, end, maxResults);
        var found = await _client.GetGrain<IBrokerGrain>(queue.Broker)
            .QueryByTimeAsync(queue.Topic, queue.QueueId, begin.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds(), maxResults);
        return found.Select(ReceivedMessage.FromData).ToList();
    }

    /// <summary>
    /// Messages of every queue of a topic stored within [<paramref name="begin"/>, <paramref name="end"/>] (inclusive),
    /// oldest first (by store time, then queue and offset), at most <paramref name="maxResults"/>. Queues of a broker
    /// that is down are skipped.
    /// </summary>
    /// <exception cref="ArgumentException">Begin after end, or <paramref name="maxResults"/> outside 1..<see cref="MaxQueryResults"/>.</exception>
    /// <exception cref="TopicNotFoundException">No such topic.</exception>
    public async Task<IReadOnlyList<ReceivedMessage>> FindMessagesByTimeAsync(string topic, DateTimeOffset begin, DateTimeOffset end, int maxResults = 32)
    {
        ValidateTimeRange(begin, end, maxResults);
        var route = await Route(topic).GetRouteAsync() ?? throw new TopicNotFoundException(topic);
        var from = begin.ToUnixTimeMilliseconds();
        var to = end.ToUnixTimeMilliseconds();
        var reads = route.Queues.Select(async queue =>
        {
            var data = await _client.GetGrain<IBrokerGrain>(queue.Broker).QueryByTimeAsync(topic, queue.QueueId, from, to, maxResults);
            return data.Select(ReceivedMessage.FromData).ToList();
        });
        var found = (await WhenAllAvailable(reads)).SelectMany(m => m);
        return found.OrderBy(m => m.StoreTimestamp).ThenBy(m => m.QueueId).ThenBy(m => m.QueueOffset).Take(maxResults).ToList();
    }

    /// <summary>
    /// Commits or rolls back a pending transaction by its id (<see cref="Transactions.TransactionSendResult.TransactionId"/>),
    /// as an operator resolving a transaction whose producers are gone.
    /// </summary>
    /// <exception cref="ArgumentException">Not a message id, an unknown broker, or a state other than Commit or Rollback.</exception>
    public async Task<EndTransactionResult> EndTransactionAsync(string transactionId, LocalTransactionState state)
    {
        if (state is not (LocalTransactionState.Commit or LocalTransactionState.Rollback))
        {
            throw new ArgumentException($"A transaction is ended with Commit or Rollback; {state} is not an outcome.", nameof(state));
        }

        var (broker, id) = await LocateAsync(transactionId);
        return broker is null
            ? throw new ArgumentException($"No broker with the store id of transaction '{transactionId}' is registered.", nameof(transactionId))
            : await _client.GetGrain<ITransactionCoordinatorGrain>(broker).EndTransactionAsync(new EndTransactionRequest(id.LogOffset, state, ProducerGroup: null));
    }

    /// <summary>Half messages waiting for their outcome on a broker.</summary>
    public Task<int> GetPendingTransactionCountAsync(string broker) => _client.GetGrain<ITransactionCoordinatorGrain>(broker).GetPendingCountAsync();

    /// <summary>The live transaction producers of a producer group (those brokers can ask to check back transactions).</summary>
    /// <exception cref="ArgumentException">Invalid group name.</exception>
    public async Task<IReadOnlyList<ProducerInfo>> DescribeProducerGroupAsync(string group)
    {
        Grains.Naming.NameValidator.ThrowIfInvalidGroup(group, nameof(group));
        return await _client.GetGrain<IProducerGroupGrain>(group).DescribeAsync();
    }

    /// <summary>Every consumer group that ever had a member.</summary>
    public async Task<IReadOnlyList<string>> ListGroupsAsync() => await _client.GetGrain<IConsumerGroupRegistryGrain>(0).ListAsync();

    /// <summary>Members, assignment and generation of a group.</summary>
    public Task<GroupDescription> DescribeGroupAsync(string group) => Group(group).DescribeAsync();

    /// <summary>Lag per queue: max − committed offset and the age of the oldest unconsumed message.</summary>
    public async Task<IReadOnlyList<QueueLag>> GetGroupLagAsync(string group) => await Group(group).GetLagAsync();

    /// <summary>Sets a group's offsets on a topic to the first message stored at or after <paramref name="time"/>; running members restart from there.</summary>
    public async Task<IReadOnlyList<OffsetCommit>> ResetGroupOffsetsAsync(string group, string topic, DateTimeOffset time) =>
        await Group(group).ResetOffsetsAsync(topic, time.ToUnixTimeMilliseconds());

    /// <summary>A group's committed offset of a queue, or -1.</summary>
    public Task<long> GetGroupOffsetAsync(string group, string topic, int queueId) => Group(group).GetOffsetAsync(topic, queueId);

    private IConsumerGroupGrain Group(string group)
    {
        Grains.Naming.NameValidator.ThrowIfInvalidGroup(group, nameof(group));
        return _client.GetGrain<IConsumerGroupGrain>(group);
    }

    private async Task<IReadOnlyList<ReceivedMessage>> FanOutAsync(string topic, Func<IBrokerGrain, Task<StoredMessageData[]>> query, int maxResults)
    {
        var route = await Route(topic).GetRouteAsync() ?? throw new TopicNotFoundException(topic);
        var brokers = route.Queues.Select(q => q.Broker).Distinct(StringComparer.Ordinal).ToArray();
        var found = new List<ReceivedMessage>();
        foreach (var broker in brokers)
        {
            try
            {
                foreach (var data in await query(_client.GetGrain<IBrokerGrain>(broker)))
                {
                    found.Add(ReceivedMessage.FromData(data));
                }
            }
            catch (BrokerUnavailableException)
            {
                // A dead broker's messages cannot be found now; the others still answer.
            }
        }

        return found.OrderByDescending(m => m.StoreTimestamp).Take(maxResults).ToList();
    }

    private static void ValidateTimeRange(DateTimeOffset begin, DateTimeOffset end, int maxResults)
    {
        if (begin > end)
        {
            throw new ArgumentException($"The time range begins at {begin:O}, after its end {end:O}; give the earlier time first.", nameof(begin));
        }

        CheckMaxResults(maxResults);
    }

    private ITopicRouteGrain Route(string topic) => _client.GetGrain<ITopicRouteGrain>(topic);

    private IMessageQueueGrain Queue(string topic, QueueRoute queue) =>
        _client.GetGrain<IMessageQueueGrain>(new QueueKey(queue.Broker, topic, queue.QueueId).ToString());
}
