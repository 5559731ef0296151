using System.Text;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.Index;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage;

public sealed partial class MessageStore
{
    /// <summary>Most messages <see cref="QueryByUniqueKey"/> returns (retries of one message are few).</summary>
    private const int MaxUniqueKeyResults = 64;

    private static ReadOnlySpan<byte> KeysName => "KEYS"u8;

    private static ReadOnlySpan<byte> UniqueKeyName => "UNIQ_KEY"u8;

    /// <summary>Reads the record at a log offset (a message id); false when no valid record starts there.</summary>
    /// <remarks>Checks the checksum and the stored log offset. Under the sync policy only durable records are found.
    /// The message owns a new buffer.</remarks>
    public bool TryReadMessage(long logOffset, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out StoredMessage? message)
    {
        message = null;
        var visible = _log.VisiblePosition;
        if (logOffset < 0 || logOffset + RecordLayout.HeaderSize > visible)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[RecordLayout.HeaderSize];
        if (!_log.TryRead(logOffset, header) || RecordLayout.CheckHeader(header, out var size) is not null
            || RecordLayout.ReadLogOffset(header) != logOffset || logOffset + size > visible)
        {
            return false;
        }

        var record = new byte[size];
        if (!_log.TryRead(logOffset, record) || RecordLayout.Validate(record, logOffset, out _) is not null)
        {
            return false;
        }

        message = StoredMessage.From(record, StoreId);
        return true;
    }

    /// <summary>Messages of <paramref name="topic"/> carrying user key <paramref name="key"/>, stored in [begin, end] (Unix ms), newest first.</summary>
    /// <remarks>Uses the key index (empty when <c>IndexEnabled</c> is false); every hit is verified against the record.</remarks>
    /// <exception cref="ArgumentException">Invalid topic, empty key or <paramref name="maxResults"/> &lt; 1.</exception>
    public IReadOnlyList<StoredMessage> QueryByKey(string topic, string key, int maxResults, long beginTimestamp, long endTimestamp)
    {
        TopicNames.ValidateTopic(topic);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxResults, 1);
        return Query(IndexKind.Key, topic, key, maxResults, beginTimestamp, endTimestamp);
    }

    /// <summary>Messages of <paramref name="topic"/> with the client unique key (more than one if a producer retried).</summary>
    /// <remarks>Newest first, at most 64. Every hit is verified against the record.</remarks>
    /// <exception cref="ArgumentException">Invalid topic or empty key.</exception>
    public IReadOnlyList<StoredMessage> QueryByUniqueKey(string topic, string uniqueKey)
    {
        TopicNames.ValidateTopic(topic);
        ArgumentException.ThrowIfNullOrEmpty(uniqueKey);
        return Query(IndexKind.UniqueKey, topic, uniqueKey, MaxUniqueKeyResults, long.MinValue, long.MaxValue);
    }

    /// <summary>The first queue offset whose store timestamp is at or after <paramref name="timestamp"/> (Unix ms); the max offset when none.</summary>
    /// <remarks>Binary search over the consume queue reading each probed record's header: O(log n) small reads.</remarks>
    /// <exception cref="ArgumentException">Invalid topic or queue id.</exception>
    public long GetQueueOffsetByTime(string topic, int queueId, long timestamp)
    {
        TopicNames.Validate(topic, queueId);
        var queue = _queues.Find(topic, queueId);
        if (queue is null)
        {
            return 0;
        }

        var range = queue.Range;
        long low = range.Min, high = range.Max;
        Span<byte> header = stackalloc byte[RecordLayout.HeaderSize];
        while (low < high)
        {
            var mid = low + ((high - low) / 2);
            var before = !queue.TryRead(mid, out var entry)
                || !_log.TryRead(entry.LogOffset, header)
                || RecordLayout.ReadStoreTimestamp(header) < timestamp;
            if (before)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    /// <summary>Deletes the consume queues of a topic; its records leave the log with retention.</summary>
    /// <remarks>Runs on the writer thread in order with appends: appends queued before it are deleted with the topic,
    /// later ones start the topic again at offset 0. Durable before it completes (the topic does not come back after a crash).</remarks>
    /// <exception cref="ArgumentException">Invalid topic.</exception>
    /// <exception cref="ObjectDisposedException">The store is closing.</exception>
    public async ValueTask DeleteTopicAsync(string topic, CancellationToken cancellationToken = default)
    {
        TopicNames.ValidateTopic(topic);
        ObjectDisposedException.ThrowIf(_closed, this);
        var command = new CommitLog.WriterCommand(writer => DeleteTopicOnWriter(writer, topic));
        _writer.Enqueue(command);
        if (_closed)
        {
            _writer.FailQueued();
        }

        await command.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every queue in the store with its range, ordered by topic and queue id.</summary>
    public IReadOnlyList<QueueInfo> ListQueues()
    {
        var list = new List<QueueInfo>();
        foreach (var queue in _queues.All)
        {
            if (queue.Exists && !queue.IsDeleted)
            {
                list.Add(new QueueInfo(queue.Topic, queue.QueueId, queue.Range));
            }
        }

        list.Sort(static (a, b) =>
        {
            var byTopic = string.CompareOrdinal(a.Topic, b.Topic);
            return byTopic != 0 ? byTopic : a.QueueId.CompareTo(b.QueueId);
        });
        return list;
    }

    private List<StoredMessage> Query(IndexKind kind, string topic, string key, int maxResults, long begin, long end)
    {
        var result = new List<StoredMessage>();
        if (_index is null)
        {
            return result;
        }

        var topicBytes = Encoding.UTF8.GetBytes(topic);
        var keyBytes = Encoding.UTF8.GetBytes(key);
        // Collisions, stale entries after a rewind and replayed duplicates all need verifying, so look a bit further.
        var candidates = _index.Find(kind, topicBytes, keyBytes, begin, end, (maxResults * 4) + 64);
        var seen = new HashSet<long>();
        foreach (var offset in candidates)
        {
            if (result.Count >= maxResults)
            {
                break;
            }

            if (!seen.Add(offset) || !TryReadMessage(offset, out var message) || message.Topic != topic
                || message.StoreTimestamp < begin || message.StoreTimestamp > end || !HasKey(kind, message.Properties.Span, keyBytes))
            {
                continue;
            }

            result.Add(message);
        }

        result.Sort(static (a, b) => b.LogOffset.CompareTo(a.LogOffset));
        return result;
    }

    private static bool HasKey(IndexKind kind, ReadOnlySpan<byte> properties, ReadOnlySpan<byte> key)
    {
        if (kind == IndexKind.UniqueKey)
        {
            return MessageProperties.TryGetValue(properties, UniqueKeyName, out var unique) && unique.SequenceEqual(key);
        }

        if (!MessageProperties.TryGetValue(properties, KeysName, out var keys))
        {
            return false;
        }

        while (!keys.IsEmpty)
        {
            var split = keys.IndexOf((byte)MessagePropertyNames.KeySeparator);
            var candidate = split < 0 ? keys : keys[..split];
            if (candidate.SequenceEqual(key))
            {
                return true;
            }

            keys = split < 0 ? default : keys[(split + 1)..];
        }

        return false;
    }
}
