using OrleansMq.Storage.Flush;

namespace OrleansMq.Storage.Configuration;

/// <summary>Options of a <see cref="MessageStore"/>. Sizes are bytes, durations <see cref="TimeSpan"/>.</summary>
/// <remarks>Validated when the store opens; errors name <c>MessageStoreOptions.Property</c>, the value and the allowed range.
/// Not thread-safe: do not change an instance after passing it to <c>MessageStore.OpenAsync</c>.</remarks>
public sealed class MessageStoreOptions
{
    /// <summary>Root directory of the store (commit log, consume queues, indexes, checkpoint). Required.</summary>
    public string Directory { get; set; } = "";

    /// <summary>
    /// Under the sync policy, zero-fill the next segment in the background so group-commit fdatasyncs do not also
    /// convert unwritten extents (1.5-2x faster syncs on ext4). It costs writing every byte twice and the CPU to do
    /// it: on the 2-core reference machine broker CPU per message doubled (11-17 µs vs 22-31 µs in W1) and throughput
    /// fell, so it is off by default; turn it on where CPU is plentiful and sync latency matters. Default false.
    /// </summary>
    public bool PrepareSegments { get; set; }

    /// <summary>
    /// How often consume queues and indexes are flushed and the checkpoint written. Recovery replays the log from the
    /// last checkpoint, so a longer interval means a longer replay after a crash, but fewer fdatasyncs of every queue
    /// file (when they were memory-mapped, going from 1 s to 10 s cut broker CPU per message by 30-47% in W1 on the
    /// 2-core reference VM). Default 10 s.
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Commit log segment size. Default 1 GiB; may be a few KiB in tests.</summary>
    public long SegmentSize { get; set; } = 1L << 30;

    /// <summary>Flush policy. Default <see cref="FlushPolicy.Sync"/>.</summary>
    public FlushPolicy FlushPolicy { get; set; } = FlushPolicy.Sync;

    /// <summary>Longest a synchronous flush may take before the append reports a flush timeout. Default 5 s.</summary>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest message body. Default 4 MiB.</summary>
    public int MaxBodySize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest encoded properties. Default 32 KiB.</summary>
    public int MaxPropertiesSize { get; set; } = 32 * 1024;

    /// <summary>Consume queue entries per consume queue segment file. Default 300,000 (≈ 5.7 MiB).</summary>
    public int ConsumeQueueEntriesPerFile { get; set; } = 300_000;

    /// <summary>Whether the key, unique-key indexes are maintained. Default true.</summary>
    public bool IndexEnabled { get; set; } = true;

    /// <summary>
    /// Entries per key index file (each key of a message is one 20-byte entry; a file also has one 4-byte hash
    /// slot per 4 entries). Default 4,000,000 (≈ 84 MiB, sparse until used).
    /// </summary>
    public int IndexEntriesPerFile { get; set; } = 4_000_000;

    /// <summary>
    /// How often the key index is flushed: at the first checkpoint after this much time or after
    /// <see cref="IndexFlushBytes"/> of log, whichever comes first (and always at close). Between index flushes the
    /// checkpoint claims only what the last one covered, so a crash replays the log from there (RocketMQ flushes its
    /// index files only when they roll; Kafka checkpoints its recovery point every 60 s). Random hash-slot writes
    /// dirty thousands of scattered pages: flushing them with the 10 s checkpoint stalled the writer 10-30 ms and
    /// put W2's p99 at 13-16 ms instead of 7-9 ms. Default 60 s.
    /// </summary>
    public TimeSpan IndexFlushInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Log bytes after which the index is flushed at the next checkpoint even inside <see cref="IndexFlushInterval"/>; bounds the replay after a crash. Default 1 GiB.</summary>
    public long IndexFlushBytes { get; set; } = 1L << 30;

    /// <summary>
    /// How much of the newest commit log is kept in the OS page cache. Durable data further behind the end of the log
    /// is dropped from the cache (<c>posix_fadvise(DONTNEED)</c>, Linux), so the kernel reuses those pages for the next
    /// writes; consumers lagging further behind read from disk. This bounds the broker's page cache (which counts
    /// towards a container's memory limit) and, on the 2-core reference VM, where every write into a page the kernel
    /// has not used lately costs a hypervisor fault, halved the kernel CPU of writing the log. 0 leaves the cache to
    /// the kernel. Default 1 GiB.
    /// </summary>
    public long LogCacheBytes { get; set; } = 1L << 30;

    /// <summary>Segments whose newest record is older than this are deleted. Default 72 h.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(72);

    /// <summary>How often retention and disk checks run. Default 10 s.</summary>
    public TimeSpan RetentionCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Disk usage ratio (0..1) above which the oldest segments are deleted even inside the retention time. Default 0.75.</summary>
    public double DiskUsageHighWatermark { get; set; } = 0.75;

    /// <summary>Free space below which appends are rejected with <see cref="AppendStatus.DiskFull"/>. Default 256 MiB.</summary>
    public long MinFreeDiskBytes { get; set; } = 256L * 1024 * 1024;
}
