using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Logging;
using OrleansMq.Storage.Checkpoint;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.CommitLog;
using OrleansMq.Storage.Configuration;
using OrleansMq.Storage.ConsumeQueue;
using OrleansMq.Storage.Diagnostics;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.Recovery;

/// <summary>
/// Opens the commit log after a clean close or a crash and brings consume queues and indexes in line with it.
/// </summary>
/// <remarks>
/// <para>Algorithm:</para>
/// <list type="number">
/// <item>Open the segments; they must be contiguous (a gap is corruption).</item>
/// <item>Erase consume queue entries at or after the checkpoint's dispatched position S; they are rebuilt.</item>
/// <item>Scan records from S (or from the start of the segment holding D, if earlier), verifying each (lengths, CRC-32C, stored log offset) and dispatching those at or after S through
/// the same <see cref="Dispatcher"/> as at runtime. Fillers move the scan to the next segment.</item>
/// <item>At the first position P that is not a valid record: if P is below the checkpoint's durable position D
/// the log lost acknowledged data, so the open fails with <see cref="CorruptLogException"/> naming file and offset.
/// Otherwise, unless this is the clean end of an orderly close (zeros exactly at D), the rest of the log is
/// searched for any later valid record: if one exists the bad record is mid-log corruption and the open fails;
/// if none exists P is a torn tail (a write the crash interrupted, never acknowledged under the sync policy) and the
/// log is truncated there: the bytes are zeroed, later segments deleted, and the event logged with file and offset.</item>
/// <item>Queue min offsets are moved past deleted segments, the recovered tail is fdatasync'ed.</item>
/// </list>
/// <para>Why this separates a torn tail from corruption: fdatasync makes everything before a position durable, so
/// a valid record after a bad one proves the bad one was once written whole (the writer also syncs a segment before
/// it writes into the next). Only a crash between a write and its sync can leave garbage with nothing valid after
/// it. The one ambiguous case, a bit flip in the very last records of a crash's unsynced window, is treated as torn.</para>
/// </remarks>
internal sealed class LogRecovery(CommitLog.CommitLog log, ConsumeQueueTable queues, Dispatcher dispatcher, CheckpointData checkpoint, MessageStoreOptions options, ILogger logger)
{
    private const int ScanChunk = 1 << 20;

    public RecoveryResult Run()
    {
        OpenSegments();
        var segments = log.Segments;
        var durable = checkpoint.DurableLogOffset;
        var logEnd = segments.Length == 0 ? 0 : segments[^1].End;
        if (durable > logEnd || (segments.Length == 0 && durable > 0))
        {
            var file = segments.Length == 0 ? log.Directory : segments[^1].FilePath;
            throw new CorruptLogException(file, logEnd, $"the log ends at {logEnd} but the checkpoint says {durable} bytes were durable (segment files are missing)");
        }

        var start = Math.Clamp(checkpoint.DispatchedLogOffset, log.MinOffset, Math.Max(log.MinOffset, logEnd));
        queues.Load();
        foreach (var queue in queues.All)
        {
            queue.TruncateFromLogOffset(start);
        }

        // Verify at least the whole segment holding the durable position (RocketMQ re-checks the newest files on
        // every start): a bit flip there is found at open even after a clean close, at a bounded cost of one
        // segment of sequential reads. Older segments are checked by every reader (clients verify each CRC).
        var verifyFrom = Math.Max(log.MinOffset, Math.Min(start, log.Find(Math.Max(durable - 1, 0))?.Start ?? start));
        var (end, lastTimestamp, replayed) = Scan(verifyFrom, start, durable);
        foreach (var queue in queues.All)
        {
            queue.PublishVisible(queue.NextOffset);
            queue.CorrectMinOffset(log.MinOffset);
        }

        log.Find(end - 1)?.FlushData();
        log.ResetPositions(end);
        if (replayed > 0)
        {
            logger.Replayed(replayed, start, end);
        }

        return new RecoveryResult(end, Math.Max(lastTimestamp, checkpoint.LastStoreTimestamp), replayed, start);
    }

    private void OpenSegments()
    {
        System.IO.Directory.CreateDirectory(log.Directory);
        var found = new List<(long Start, string Path, long Length)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(log.Directory))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(FileResource.DeletedSuffix, StringComparison.Ordinal) || name.EndsWith(SegmentPreparer.PreparedSuffix, StringComparison.Ordinal))
            {
                File.Delete(path);
                continue;
            }

            if (name.Length == 20 && long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            {
                found.Add((start, path, new FileInfo(path).Length));
            }
        }

        found.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        for (var i = 0; i < found.Count; i++)
        {
            var (start, path, length) = found[i];
            long capacity;
            if (i < found.Count - 1)
            {
                capacity = found[i + 1].Start - start;
                if (length != capacity)
                {
                    throw new CorruptLogException(path, start, $"the segment is {length} bytes but the next segment starts {capacity} bytes after it (a segment is missing or truncated)");
                }
            }
            else
            {
                capacity = Math.Max(length, options.SegmentSize);
            }

            log.Add(Segment.Open(path, start, capacity));
        }
    }

    private (long End, long LastTimestamp, long Replayed) Scan(long start, long dispatchFrom, long durable)
    {
        var buffer = new byte[Math.Max(4 << 20, RecordLayout.RecordSize(RecordLayout.MaxTopicLength, options.MaxPropertiesSize, options.MaxBodySize) + 64)];
        long bufferStart = 0;
        var bufferLength = 0;
        long lastTimestamp = 0;
        long replayed = 0;
        var position = start;
        var segment = log.Find(position);
        while (segment is not null)
        {
            var remaining = segment.End - position;
            var isLast = ReferenceEquals(segment, log.Segments[^1]);
            if (remaining < RecordLayout.FillerSize)
            {
                if (isLast)
                {
                    break;
                }

                position = segment.End;
                segment = log.Find(position);
                continue;
            }

            // Keep at least a header (or the rest of the segment) in the window.
            var want = (int)Math.Min(remaining, RecordLayout.HeaderSize);
            if (position < bufferStart || position + want > bufferStart + bufferLength)
            {
                (bufferStart, bufferLength) = Fill(segment, position, buffer);
            }

            var window = buffer.AsSpan((int)(position - bufferStart), bufferLength - (int)(position - bufferStart));
            string? reason;
            var zeros = false;
            if (window.Length < RecordLayout.FillerSize || window[..RecordLayout.FillerSize].IndexOfAnyExcept((byte)0) < 0)
            {
                zeros = true;
                reason = "end of data";
            }
            else if (RecordLayout.IsFiller(window, out var fillerSize))
            {
                if (position + fillerSize == segment.End)
                {
                    if (isLast)
                    {
                        position = segment.End;
                        break;
                    }

                    position = segment.End;
                    segment = log.Find(position);
                    continue;
                }

                reason = $"filler of {fillerSize} bytes does not end at the segment end {segment.End}";
            }
            else
            {
                reason = window.Length < RecordLayout.HeaderSize ? "truncated header" : RecordLayout.CheckHeader(window, out var size);
                if (reason is null)
                {
                    size = BinaryPrimitives.ReadInt32LittleEndian(window);
                    if (size > remaining)
                    {
                        reason = $"record of {size} bytes runs past the segment end";
                    }
                    else
                    {
                        if (size > window.Length)
                        {
                            (bufferStart, bufferLength) = Fill(segment, position, buffer);
                            window = buffer.AsSpan(0, bufferLength);
                        }

                        reason = RecordLayout.Validate(window, position, out size);
                        if (reason is null)
                        {
                            var record = window[..size];
                            if (position >= dispatchFrom)
                            {
                                dispatcher.Dispatch(record, null);
                                replayed++;
                            }

                            lastTimestamp = RecordLayout.ReadStoreTimestamp(record);
                            position += size;
                            continue;
                        }
                    }
                }
            }

            return (Stop(segment, position, durable, reason!, zeros), lastTimestamp, replayed);
        }

        return (position, lastTimestamp, replayed);
    }

    /// <summary>Decides between clean end, torn tail (truncate) and corruption (throw) at <paramref name="position"/>.</summary>
    private long Stop(Segment segment, long position, long durable, string reason, bool zeros)
    {
        if (position < durable)
        {
            throw new CorruptLogException(segment.FilePath, position, zeros
                ? $"the data ends here, before the checkpointed durable position {durable}"
                : reason);
        }

        if (zeros && checkpoint.Clean && position == durable)
        {
            return position;
        }

        var valid = FindValidRecordAfter(segment, position, out var lastNonZero);
        if (valid >= 0)
        {
            throw new CorruptLogException(segment.FilePath, position, $"{reason}, but a valid record follows at log offset {valid}");
        }

        if (lastNonZero > position)
        {
            logger.TornTailTruncated(segment.FilePath, position, reason, lastNonZero - position);
            Erase(segment, position, lastNonZero);
        }

        log.RemoveFrom(segment.End);
        return position;
    }

    /// <summary>Searches every byte after <paramref name="position"/> for a valid record; -1 when there is none.</summary>
    private long FindValidRecordAfter(Segment first, long position, out long lastNonZero)
    {
        lastNonZero = position;
        Span<byte> magic = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(magic, RecordLayout.RecordMagic);
        var chunk = new byte[ScanChunk];
        foreach (var segment in log.Segments)
        {
            if (segment.End <= position)
            {
                continue;
            }

            for (var offset = Math.Max(segment.Start, position); offset < segment.End; offset += ScanChunk - 8)
            {
                var read = segment.Read(offset, chunk.AsSpan(0, (int)Math.Min(ScanChunk, segment.End - offset)));
                var data = chunk.AsSpan(0, read);
                var nonZero = data.LastIndexOfAnyExcept((byte)0);
                if (nonZero < 0)
                {
                    if (read < ScanChunk - 8)
                    {
                        break;
                    }

                    continue;
                }

                if (ReferenceEquals(segment, first))
                {
                    lastNonZero = Math.Max(lastNonZero, offset + nonZero + 1);
                }

                var at = 0;
                while (true)
                {
                    var hit = data[at..].IndexOf(magic);
                    if (hit < 0)
                    {
                        break;
                    }

                    var candidate = offset + at + hit - RecordLayout.MagicOffset;
                    if (candidate > position && candidate >= segment.Start && IsValidRecordAt(segment, candidate))
                    {
                        return candidate;
                    }

                    at += hit + 1;
                }

                if (read < ScanChunk - 8)
                {
                    break;
                }
            }
        }

        return -1;
    }

    private bool IsValidRecordAt(Segment segment, long position)
    {
        Span<byte> header = stackalloc byte[RecordLayout.HeaderSize];
        if (segment.Read(position, header) < header.Length || RecordLayout.CheckHeader(header, out var size) is not null || position + size > segment.End)
        {
            return false;
        }

        var record = new byte[size];
        return segment.Read(position, record) == size && RecordLayout.Validate(record, position, out _) is null;
    }

    private static void Erase(Segment segment, long from, long to)
    {
        var zeros = new byte[64 * 1024];
        for (var offset = from; offset < to; offset += zeros.Length)
        {
            segment.Write(offset, zeros.AsSpan(0, (int)Math.Min(zeros.Length, to - offset)));
        }

        segment.FlushData();
    }

    private static (long Start, int Length) Fill(Segment segment, long position, byte[] buffer)
    {
        var length = (int)Math.Min(buffer.Length, segment.End - position);
        return (position, segment.Read(position, buffer.AsSpan(0, length)));
    }
}
