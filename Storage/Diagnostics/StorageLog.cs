using Microsoft.Extensions.Logging;

namespace OrleansMq.Storage.Diagnostics;

/// <summary>The store's log messages (source-generated). Event ids 2000-2099 belong to storage.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(2000, LogLevel.Information, "Opened message store {Directory} (store id {StoreId:X16}): log [{MinOffset}, {EndOffset}), {SegmentCount} segments, {QueueCount} queues, flush {FlushPolicy}, recovered in {ElapsedMs} ms")]
    public static partial void StoreOpened(this ILogger logger, string directory, long storeId, long minOffset, long endOffset, int segmentCount, int queueCount, string flushPolicy, long elapsedMs);

    [LoggerMessage(2001, LogLevel.Warning, "Truncated the commit log tail in {File} at log offset {Offset} ({Reason}); {Bytes} bytes after it were discarded (not acknowledged as durable)")]
    public static partial void TornTailTruncated(this ILogger logger, string file, long offset, string reason, long bytes);

    [LoggerMessage(2002, LogLevel.Information, "Recovery replayed {Records} records from log offset {From} to {To} into consume queues and indexes")]
    public static partial void Replayed(this ILogger logger, long records, long from, long to);

    [LoggerMessage(2003, LogLevel.Error, "Commit log write failed at log offset {Offset} ({Bytes} bytes); {Requests} appends fail with IoError")]
    public static partial void WriteFailed(this ILogger logger, Exception exception, long offset, int bytes, int requests);

    [LoggerMessage(2004, LogLevel.Error, "Commit log flush (fdatasync) failed; durable position stays at {Durable}, written {Written}")]
    public static partial void FlushFailed(this ILogger logger, Exception exception, long durable, long written);

    [LoggerMessage(2005, LogLevel.Error, "Could not restore a consistent commit log tail at {Offset}; appends fail until it succeeds")]
    public static partial void RestoreFailed(this ILogger logger, Exception exception, long offset);

    [LoggerMessage(2006, LogLevel.Warning, "Rewound the commit log from {Written} to the durable position {Durable} after a failed flush")]
    public static partial void Rewound(this ILogger logger, long written, long durable);

    [LoggerMessage(2007, LogLevel.Information, "Retention deleted segment {File} ({Reason})")]
    public static partial void SegmentDeleted(this ILogger logger, string file, string reason);

    [LoggerMessage(2008, LogLevel.Warning, "Disk almost full: {FreeBytes} bytes free, below MinFreeDiskBytes {MinFreeBytes}; appends are rejected with DiskFull")]
    public static partial void DiskFull(this ILogger logger, long freeBytes, long minFreeBytes);

    [LoggerMessage(2009, LogLevel.Information, "Disk space is back: {FreeBytes} bytes free; appends resume")]
    public static partial void DiskSpaceRecovered(this ILogger logger, long freeBytes);

    [LoggerMessage(2010, LogLevel.Warning, "Could not create commit log segment at {Offset}: {Reason}")]
    public static partial void SegmentCreateFailed(this ILogger logger, long offset, string reason);

    [LoggerMessage(2011, LogLevel.Error, "Maintenance task {Task} failed")]
    public static partial void MaintenanceFailed(this ILogger logger, Exception exception, string task);

    [LoggerMessage(2012, LogLevel.Debug, "Group commit: {Requests} appends, {Bytes} bytes at log offset {Offset}")]
    public static partial void GroupWritten(this ILogger logger, int requests, int bytes, long offset);

    [LoggerMessage(2013, LogLevel.Warning, "Record {Topic}/{QueueId} queue offset {QueueOffset} at log offset {LogOffset} leaves a gap after {Expected}; not added to the consume queue")]
    public static partial void ReplayGap(this ILogger logger, string topic, int queueId, long queueOffset, long logOffset, long expected);

    [LoggerMessage(2014, LogLevel.Error, "Consume queue {Topic}/{QueueId} entry {QueueOffset} points at log offset {LogOffset} where no matching record is")]
    public static partial void BadConsumeQueueEntry(this ILogger logger, string topic, int queueId, long queueOffset, long logOffset);

    [LoggerMessage(2015, LogLevel.Information, "Deleted topic {Topic} ({Queues} consume queues)")]
    public static partial void TopicDeleted(this ILogger logger, string topic, int queues);

    [LoggerMessage(2017, LogLevel.Critical, "The commit log writer failed unexpectedly; appends are rejected with IoError until the store is reopened")]
    public static partial void WriterFaulted(this ILogger logger, Exception exception);

    [LoggerMessage(2018, LogLevel.Critical, "The commit log flusher failed unexpectedly; waiting appends fail with IoError")]
    public static partial void FlusherFaulted(this ILogger logger, Exception exception);

    [LoggerMessage(2016, LogLevel.Information, "Closed message store {Directory} at log offset {Offset}")]
    public static partial void StoreClosed(this ILogger logger, string directory, long offset);
}
