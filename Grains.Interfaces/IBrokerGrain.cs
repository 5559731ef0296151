using OrleansMq.Grains.Brokers;
using OrleansMq.Grains.Messages;

namespace OrleansMq.Grains;

/// <summary>Broker-level operations on one broker's store (keyed by broker name, activated on that broker).</summary>
[Alias("OrleansMq.IBrokerGrain")]
public interface IBrokerGrain : IGrainWithStringKey
{
    /// <summary>Positions and disk usage of the store.</summary>
    [Alias("GetStatus")]
    Task<BrokerStatus> GetStatusAsync();

    /// <summary>Store figures, disk watermark, pending timers and traffic per topic since the broker started (for rates).</summary>
    [Alias("GetStats")]
    Task<BrokerStats> GetStatsAsync();

    /// <summary>Every queue the store holds.</summary>
    [Alias("ListQueues")]
    Task<QueueStatus[]> ListQueuesAsync();

    /// <summary>Deletes the consume queues of a topic on this broker.</summary>
    [Alias("DeleteTopic")]
    Task DeleteTopicAsync(string topic);

    /// <summary>The record at a log offset (from a message id), or null.</summary>
    [Alias("GetMessage")]
    Task<StoredMessageData?> GetMessageAsync(long logOffset);

    /// <summary>Records of a topic carrying a user key, stored within [begin, end] (Unix ms).</summary>
    [Alias("QueryByKey")]
    Task<StoredMessageData[]> QueryByKeyAsync(string topic, string key, int maxResults, long beginTimestamp, long endTimestamp);

    /// <summary>Moves a message this broker stores to its group's retry topic (with a growing delay) or dead-letter topic.</summary>
    /// <exception cref="Errors.InvalidRequestException">No message at that log offset.</exception>
    [Alias("SendBack")]
    Task<SendBackResult> SendBackAsync(SendBackRequest request);

    /// <summary>Sends a dead-lettered message stored here back to its original topic as a new message.</summary>
    /// <exception cref="Errors.InvalidRequestException">No such message, or it is not a dead-lettered message.</exception>
    [Alias("ResendDeadLetter")]
    Task<SendBackResult> ResendDeadLetterAsync(long logOffset);

    /// <summary>Cancels a pending delay or timer message by its log offset (from its message id); false when it is not pending.</summary>
    [Alias("CancelTimer")]
    Task<bool> CancelTimerAsync(long logOffset);

    /// <summary>Records of a topic with a client unique key.</summary>
    [Alias("QueryByUniqueKey")]
    Task<StoredMessageData[]> QueryByUniqueKeyAsync(string topic, string uniqueKey);

    /// <summary>
    /// Records of one queue stored within [begin, end] (Unix ms, inclusive), oldest first, at most
    /// <paramref name="maxResults"/>: found by the queue's time index, then read forward.
    /// </summary>
    /// <exception cref="Errors.InvalidRequestException">Bad topic or queue id, begin after end, or <paramref name="maxResults"/> outside 1..1024.</exception>
    [Alias("QueryByTime")]
    Task<StoredMessageData[]> QueryByTimeAsync(string topic, int queueId, long beginTimestamp, long endTimestamp, int maxResults);
}
