using Microsoft.Extensions.Logging;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.Configuration;
using OrleansMq.Storage.ConsumeQueue;
using OrleansMq.Storage.Diagnostics;
using OrleansMq.Storage.Index;

namespace OrleansMq.Storage.Retention;

/// <summary>
/// Deletes whole commit log segments, oldest first: those whose newest record is older than
/// <see cref="MessageStoreOptions.Retention"/>, then more while disk usage is above
/// <see cref="MessageStoreOptions.DiskUsageHighWatermark"/>. Never the active (last) segment. A segment a reader
/// holds is removed from the log at once (new reads get <see cref="ReadStatus.OffsetTooSmall"/>) and its file is
/// deleted when the reader releases it. Consume queue min offsets and index files follow.
/// </summary>
/// <remarks>Runs on the retention timer; not re-entrant (the caller serializes runs).</remarks>
internal sealed class RetentionService(
    CommitLog.CommitLog log,
    ConsumeQueueTable queues,
    KeyIndex? index,
    DiskMonitor disk,
    MessageStoreOptions options,
    TimeProvider time,
    ILogger logger,
    StorageInstruments instruments,
    Func<long> lastStoreTimestamp)
{
    /// <summary>At most this many segments per run (RocketMQ deletes at most 10 files per batch) to bound one run's IO.</summary>
    public const int MaxDeletesPerRun = 10;

    public int Run()
    {
        var space = disk.Check();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var retentionMs = (long)options.Retention.TotalMilliseconds;
        var deleted = 0;
        while (deleted < MaxDeletesPerRun)
        {
            var segments = log.Segments;
            if (segments.Length < 2 || now - NewestTimestamp(segments[1]) <= retentionMs)
            {
                break;
            }

            Delete("older than the retention time", ref deleted);
        }

        while (deleted < MaxDeletesPerRun && space.UsedRatio > options.DiskUsageHighWatermark && log.Segments.Length >= 2)
        {
            Delete("disk usage above the high watermark", ref deleted);
            space = disk.Check();
        }

        if (deleted > 0)
        {
            var min = log.MinOffset;
            foreach (var queue in queues.All)
            {
                queue.CorrectMinOffset(min);
            }

            index?.DeleteBelow(min);
            space = disk.Check();
        }

        long segmentBytes = 0;
        foreach (var segment in log.Segments)
        {
            segmentBytes += segment.Capacity;
        }

        instruments.DiskChecked(space.TotalBytes - space.FreeBytes, segmentBytes);
        return deleted;
    }

    private void Delete(string reason, ref int deleted)
    {
        var segment = log.RemoveOldest();
        if (segment is not null)
        {
            logger.SegmentDeleted(segment.FilePath, reason);
            deleted++;
        }
    }

    /// <summary>
    /// The newest store time in the segment before <paramref name="next"/>: bounded by the first record of the next
    /// segment (store times never decrease), or by the newest record overall when the next segment is still empty.
    /// </summary>
    private long NewestTimestamp(CommitLog.Segment next)
    {
        Span<byte> header = stackalloc byte[RecordLayout.HeaderSize];
        if (next.TryAcquire())
        {
            try
            {
                if (next.Read(next.Start, header) == header.Length && RecordLayout.CheckHeader(header, out _) is null)
                {
                    return RecordLayout.ReadStoreTimestamp(header);
                }
            }
            finally
            {
                next.Release();
            }
        }

        return lastStoreTimestamp();
    }
}
