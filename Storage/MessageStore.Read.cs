using System.Buffers;
using System.Buffers.Binary;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.ConsumeQueue;
using OrleansMq.Storage.Diagnostics;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage;

public sealed partial class MessageStore
{
    /// <summary>
    /// Most consume queue entries one read inspects when a filter rejects them by tag hash, so a read over a long
    /// run of non-matching messages returns <see cref="ReadStatus.NoMatchedMessage"/> promptly (RocketMQ scans a
    /// bounded window the same way) instead of walking the whole queue.
    /// </summary>
    private const int MaxScannedEntries = 16_384;

    /// <summary>Entries copied from the consume queue per step (a stack buffer of 256 × 24 bytes).</summary>
    private const int EntryBlock = 256;

    /// <summary>Reads up to <paramref name="maxMessages"/> / <paramref name="maxBytes"/> records from a queue.</summary>
    /// <remarks>
    /// Always returns at least one matching record when one is available, even if it exceeds <paramref name="maxBytes"/>.
    /// The records are read straight from the page cache into one new array (positional reads, one per run of
    /// records adjacent in the log) that the caller owns. Under the sync policy only durable records are visible.
    /// Safe under concurrent appends and retention: a segment deleted mid-read ends the result early, or gives
    /// <see cref="ReadStatus.OffsetTooSmall"/> when nothing was read.
    /// </remarks>
    /// <exception cref="ArgumentException">Invalid topic or queue id, <paramref name="maxMessages"/> &lt; 1 or <paramref name="maxBytes"/> &lt; 0.</exception>
    public ReadResult Read(string topic, int queueId, long queueOffset, int maxMessages, int maxBytes, IMessageFilter? filter = null)
    {
        TopicNames.Validate(topic, queueId);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        var queue = _queues.Find(topic, queueId);
        var range = queue?.Range ?? default;
        if (queueOffset < range.Min)
        {
            return new ReadResult(ReadStatus.OffsetTooSmall, default, 0, range.Min, range);
        }

        if (queueOffset >= range.Max || queue is null)
        {
            return new ReadResult(queueOffset == range.Max ? ReadStatus.NoNewMessage : ReadStatus.OffsetTooBig, default, 0, range.Max, range);
        }

        var scanned = 0;
        var offset = queueOffset;
        while (true)
        {
            var result = ReadOnce(queue, ref offset, ref scanned, range, maxMessages, maxBytes, filter);
            if (result is not null)
            {
                return result;
            }

            if (offset >= range.Max || scanned >= MaxScannedEntries)
            {
                return new ReadResult(ReadStatus.NoMatchedMessage, default, 0, offset, range);
            }
        }
    }

    /// <summary>One pass: select entries, read their records into one array, apply the exact filter. Null when nothing matched.</summary>
    private ReadResult? ReadOnce(ConsumeQueue.ConsumeQueue queue, ref long offset, ref int scanned, QueueRange range, int maxMessages, int maxBytes, IMessageFilter? filter)
    {
        var limit = (int)Math.Min(maxMessages, range.Max - offset);
        var selected = ArrayPool<ConsumeQueueEntry>.Shared.Rent(limit);
        var selectedOffsets = ArrayPool<long>.Shared.Rent(limit);
        try
        {
            var count = 0;
            long bytes = 0;
            var minLogOffset = _log.MinOffset;
            var tooSmall = false;
            Span<ConsumeQueueEntry> block = stackalloc ConsumeQueueEntry[EntryBlock];
            var full = false;
            while (!full && count < limit && offset < range.Max && scanned < MaxScannedEntries)
            {
                var read = queue.ReadEntries(offset, block[..(int)Math.Min(EntryBlock, range.Max - offset)]);
                if (read == 0)
                {
                    tooSmall = count == 0;
                    break;
                }

                for (var i = 0; i < read; i++)
                {
                    var entry = block[i];
                    if (entry.IsEmpty || entry.LogOffset < minLogOffset)
                    {
                        // Retention removed the segment after the range was taken.
                        tooSmall = count == 0;
                        full = true;
                        break;
                    }

                    if (filter is not null && !filter.MayMatch(entry.TagHash))
                    {
                        offset++;
                        scanned++;
                        continue;
                    }

                    if (count > 0 && bytes + entry.MessageSize > maxBytes)
                    {
                        full = true;
                        break;
                    }

                    selectedOffsets[count] = offset;
                    selected[count++] = entry;
                    bytes += entry.MessageSize;
                    offset++;
                    scanned++;
                    if (count == limit)
                    {
                        full = true;
                        break;
                    }
                }
            }

            if (count == 0)
            {
                if (tooSmall)
                {
                    var now = queue.Range;
                    return new ReadResult(ReadStatus.OffsetTooSmall, default, 0, now.Min, now);
                }

                return null;
            }

            var records = GC.AllocateUninitializedArray<byte>((int)bytes);
            var filled = ReadRecords(queue, selected.AsSpan(0, count), selectedOffsets, records, out var readCount);
            if (readCount < count)
            {
                // A segment vanished or an entry was bad: return what was read and continue from there next time.
                offset = selectedOffsets[readCount];
                count = readCount;
                if (count == 0)
                {
                    var now = queue.Range;
                    return new ReadResult(ReadStatus.OffsetTooSmall, default, 0, Math.Max(now.Min, offset), now);
                }
            }

            var length = filled;
            if (filter is not null)
            {
                (length, count) = ApplyFilter(records.AsSpan(0, filled), filter);
                if (count == 0)
                {
                    return null;
                }
            }

            return new ReadResult(ReadStatus.Found, records.AsMemory(0, length), count, offset, range);
        }
        finally
        {
            ArrayPool<ConsumeQueueEntry>.Shared.Return(selected);
            ArrayPool<long>.Shared.Return(selectedOffsets);
        }
    }

    /// <summary>Reads records into <paramref name="destination"/> back to back, one positional read per adjacent run.</summary>
    private int ReadRecords(ConsumeQueue.ConsumeQueue queue, ReadOnlySpan<ConsumeQueueEntry> entries, long[] queueOffsets, byte[] destination, out int readCount)
    {
        var written = 0;
        readCount = 0;
        var i = 0;
        while (i < entries.Length)
        {
            var runStart = i;
            var runBytes = entries[i].MessageSize;
            var segment = _log.Acquire(entries[i].LogOffset);
            if (segment is null)
            {
                return written;
            }

            try
            {
                while (i + 1 < entries.Length
                    && entries[i + 1].LogOffset == entries[i].LogOffset + entries[i].MessageSize
                    && entries[i + 1].LogOffset + entries[i + 1].MessageSize <= segment.End)
                {
                    i++;
                    runBytes += entries[i].MessageSize;
                }

                var target = destination.AsSpan(written, runBytes);
                if (entries[runStart].LogOffset + runBytes > segment.End || segment.Read(entries[runStart].LogOffset, target) != runBytes)
                {
                    return written;
                }
            }
            finally
            {
                segment.Release();
            }

            // Cheap consistency check per record (the client verifies checksums): length, magic and position.
            for (var j = runStart; j <= i; j++)
            {
                var record = destination.AsSpan(written, entries[j].MessageSize);
                if (record.Length < RecordLayout.HeaderSize
                    || BinaryPrimitives.ReadInt32LittleEndian(record) != record.Length
                    || BinaryPrimitives.ReadUInt32LittleEndian(record[RecordLayout.MagicOffset..]) != RecordLayout.RecordMagic
                    || RecordLayout.ReadLogOffset(record) != entries[j].LogOffset)
                {
                    _logger.BadConsumeQueueEntry(queue.Topic, queue.QueueId, queueOffsets[j], entries[j].LogOffset);
                    return written;
                }

                written += record.Length;
                readCount++;
            }

            i++;
        }

        return written;
    }

    /// <summary>Keeps only records the filter matches, compacting them in place; returns (bytes, count).</summary>
    private static (int Length, int Count) ApplyFilter(Span<byte> records, IMessageFilter filter)
    {
        var read = 0;
        var write = 0;
        var count = 0;
        while (read < records.Length)
        {
            var size = BinaryPrimitives.ReadInt32LittleEndian(records[read..]);
            var record = records.Slice(read, size);
            if (filter.Matches(StoredRecord.Create(record)))
            {
                if (write != read)
                {
                    record.CopyTo(records[write..]);
                }

                write += size;
                count++;
            }

            read += size;
        }

        return (write, count);
    }

    /// <summary>The valid offsets of a queue; <c>(0, 0)</c> for a queue never written.</summary>
    /// <exception cref="ArgumentException">Invalid topic or queue id.</exception>
    public QueueRange GetQueueRange(string topic, int queueId)
    {
        TopicNames.Validate(topic, queueId);
        return _queues.Find(topic, queueId)?.Range ?? default;
    }

    /// <summary>Completes with true as soon as the queue's max offset exceeds <paramref name="queueOffset"/>, false after <paramref name="timeout"/>.</summary>
    /// <remarks>
    /// Woken by the append that makes a message readable (no polling). Nothing is registered per waiter: waiters
    /// share one signal per queue, and the timeout timer (from the store's <see cref="TimeProvider"/>) is disposed
    /// when the wait ends. Returns false when the store closes. Cancellation throws <see cref="OperationCanceledException"/>.
    /// </remarks>
    /// <exception cref="ArgumentException">Invalid topic or queue id.</exception>
    public ValueTask<bool> WaitForMessagesAsync(string topic, int queueId, long queueOffset, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        TopicNames.Validate(topic, queueId);
        var queue = _queues.GetOrAdd(topic, queueId);
        if (queue.VisibleMax > queueOffset)
        {
            return new ValueTask<bool>(true);
        }

        return timeout <= TimeSpan.Zero || _closed ? new ValueTask<bool>(false) : WaitSlowAsync(topic, queueId, queue, queueOffset, timeout, cancellationToken);
    }

    private async ValueTask<bool> WaitSlowAsync(string topic, int queueId, ConsumeQueue.ConsumeQueue queue, long queueOffset, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            var changed = queue.WhenChanged();
            if (queue.VisibleMax > queueOffset)
            {
                return true;
            }

            if (_closed)
            {
                return false;
            }

            if (queue.IsDeleted)
            {
                queue = _queues.GetOrAdd(topic, queueId);
                continue;
            }

            var remaining = timeout - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            try
            {
                await changed.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return queue.VisibleMax > queueOffset;
            }
        }
    }
}
