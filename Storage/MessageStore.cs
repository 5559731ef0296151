using Microsoft.Extensions.Logging;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.Configuration;

namespace OrleansMq.Storage;

/// <summary>
/// A broker's local store: one commit log for all topics, a consume queue per (topic, queue), key indexes.
/// </summary>
/// <remarks>
/// Thread-safety: every member may be called concurrently. Appends are serialized by a single writer that batches
/// concurrent callers into one write and, under the sync policy, one flush (group commit).
/// Buffers: the store does not keep caller buffers after the returned task completes.
/// Durability: an append is acknowledged as the configured <see cref="Flush.FlushPolicy"/> promises, and reads
/// never return a record past the position that policy acknowledges.
/// </remarks>
public sealed class MessageStore : IAsyncDisposable
{
    private MessageStore()
    {
    }

    /// <summary>Opens (creating or recovering) the store in <see cref="MessageStoreOptions.Directory"/>.</summary>
    /// <exception cref="ArgumentException">Invalid options (message names the option, value and limit).</exception>
    /// <exception cref="CorruptLogException">A corrupt record before the log tail (names file and offset).</exception>
    public static Task<MessageStore> OpenAsync(MessageStoreOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>Random id of this store, created with it and persisted; part of every <see cref="MessageId"/>.</summary>
    public long StoreId => throw new NotImplementedException();

    /// <summary>The options the store was opened with.</summary>
    public MessageStoreOptions Options => throw new NotImplementedException();

    /// <summary>
    /// Appends an encoded batch (<see cref="MessageBatchWriter"/>) to one queue. Valid entries get dense,
    /// consecutive queue offsets in batch order; invalid ones are reported per message and skipped.
    /// </summary>
    public ValueTask<AppendResult> AppendAsync(string topic, int queueId, ReadOnlyMemory<byte> batch, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>Reads up to <paramref name="maxMessages"/> / <paramref name="maxBytes"/> records from a queue.</summary>
    /// <remarks>Always returns at least one matching record when one is available, even if it exceeds <paramref name="maxBytes"/>.</remarks>
    public ReadResult Read(string topic, int queueId, long queueOffset, int maxMessages, int maxBytes, IMessageFilter? filter = null)
        => throw new NotImplementedException();

    /// <summary>The valid offsets of a queue; <c>(0, 0)</c> for a queue never written.</summary>
    public QueueRange GetQueueRange(string topic, int queueId) => throw new NotImplementedException();

    /// <summary>Completes with true as soon as the queue's max offset exceeds <paramref name="queueOffset"/>, false after <paramref name="timeout"/>.</summary>
    public ValueTask<bool> WaitForMessagesAsync(string topic, int queueId, long queueOffset, TimeSpan timeout, CancellationToken cancellationToken = default)
        => throw new NotImplementedException();

    /// <summary>Reads the record at a log offset (a message id); false when no valid record starts there.</summary>
    public bool TryReadMessage(long logOffset, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out StoredMessage? message)
        => throw new NotImplementedException();

    /// <summary>Messages of <paramref name="topic"/> carrying user key <paramref name="key"/>, stored in [begin, end] (Unix ms), newest first.</summary>
    public IReadOnlyList<StoredMessage> QueryByKey(string topic, string key, int maxResults, long beginTimestamp, long endTimestamp)
        => throw new NotImplementedException();

    /// <summary>Messages of <paramref name="topic"/> with the client unique key (more than one if a producer retried).</summary>
    public IReadOnlyList<StoredMessage> QueryByUniqueKey(string topic, string uniqueKey) => throw new NotImplementedException();

    /// <summary>The first queue offset whose store timestamp is at or after <paramref name="timestamp"/> (Unix ms); the max offset when none.</summary>
    public long GetQueueOffsetByTime(string topic, int queueId, long timestamp) => throw new NotImplementedException();

    /// <summary>Deletes the consume queues of a topic; its records leave the log with retention.</summary>
    public ValueTask DeleteTopicAsync(string topic, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Every queue in the store with its range.</summary>
    public IReadOnlyList<QueueInfo> ListQueues() => throw new NotImplementedException();

    /// <summary>Positions and disk usage.</summary>
    public StoreStatus GetStatus() => throw new NotImplementedException();

    /// <summary>Flushes, writes the checkpoint and closes every file. Pending appends complete with <see cref="AppendStatus.StoreClosed"/>.</summary>
    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
