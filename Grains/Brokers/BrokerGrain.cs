using Orleans.Concurrency;
using Orleans.Placement;
using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Placement;
using OrleansMq.Grains.Scheduling;
using OrleansMq.Storage.Flush;

namespace OrleansMq.Grains.Brokers;

/// <summary>Broker-level operations, activated on the broker it names so it reads the local store directly.</summary>
[BrokerPinnedPlacement, Immovable, Reentrant]
internal sealed class BrokerGrain(BrokerStore brokerStore, TimerService timers, IClusterMembershipService membership) : Grain, IBrokerGrain
{
    public Task<BrokerStatus> GetStatusAsync()
    {
        var store = brokerStore.Store;
        var status = store.GetStatus();
        return Task.FromResult(new BrokerStatus
        {
            Name = brokerStore.BrokerName,
            StoreId = store.StoreId,
            WrittenPosition = status.WrittenPosition,
            DurablePosition = status.DurablePosition,
            MinLogOffset = status.MinLogOffset,
            StoreBytes = status.StoreBytes,
            DiskTotalBytes = status.DiskTotalBytes,
            DiskFreeBytes = status.DiskFreeBytes,
            IsDiskFull = status.IsDiskFull,
            QueueCount = store.ListQueues().Count,
            FlushPolicy = DescribeFlushPolicy(store.Options.FlushPolicy),
        });
    }

    public async Task<BrokerStats> GetStatsAsync()
    {
        // Resolved here rather than in the constructor: only operators call this, never the data path.
        var instruments = Diagnostics.BrokerInstruments.Of(ServiceProvider);
        var status = await GetStatusAsync();
        return new BrokerStats
        {
            Status = status,
            MinFreeDiskBytes = brokerStore.Store.Options.MinFreeDiskBytes,
            PendingTimers = timers.PendingCount,
            StartedAt = instruments.StartedAt,
            SampledAt = instruments.Now,
            Topics = instruments.Snapshot(),
        };
    }

    public Task<QueueStatus[]> ListQueuesAsync()
    {
        var queues = brokerStore.Store.ListQueues();
        var result = new QueueStatus[queues.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var q = queues[i];
            result[i] = new QueueStatus(q.Topic, q.QueueId, q.Range.Min, q.Range.Max);
        }

        return Task.FromResult(result);
    }

    public async Task DeleteTopicAsync(string topic)
    {
        await brokerStore.Store.DeleteTopicAsync(topic);
        Diagnostics.BrokerInstruments.Of(ServiceProvider).RemoveTopic(topic);
    }

    public Task<StoredMessageData?> GetMessageAsync(long logOffset) =>
        Task.FromResult(brokerStore.Store.TryReadMessage(logOffset, out var message)
            ? StoredMessageData.From(message, brokerStore.BrokerName)
            : null);

    public Task<SendBackResult> SendBackAsync(SendBackRequest request) => Router().SendBackAsync(request);

    public Task<SendBackResult> ResendDeadLetterAsync(long logOffset) => Router().ResendAsync(logOffset);

    public Task<bool> CancelTimerAsync(long logOffset) => timers.CancelAsync(logOffset);

    private RetryRouter Router()
    {
        var live = 0;
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            live += member.Status == SiloStatus.Active ? 1 : 0;
        }

        return new RetryRouter(brokerStore.Store, GrainFactory, brokerStore.BrokerName, live);
    }

    public Task<StoredMessageData[]> QueryByKeyAsync(string topic, string key, int maxResults, long beginTimestamp, long endTimestamp) =>
        Task.FromResult(Convert(brokerStore.Store.QueryByKey(topic, key, maxResults, beginTimestamp, endTimestamp)));

    public Task<StoredMessageData[]> QueryByUniqueKeyAsync(string topic, string uniqueKey) =>
        Task.FromResult(Convert(brokerStore.Store.QueryByUniqueKey(topic, uniqueKey)));

    private StoredMessageData[] Convert(IReadOnlyList<Storage.Codec.StoredMessage> messages)
    {
        var result = new StoredMessageData[messages.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = StoredMessageData.From(messages[i], brokerStore.BrokerName);
        }

        return result;
    }

    private static string DescribeFlushPolicy(FlushPolicy policy) => policy.ToString() ?? "unknown";
}
