using System.Globalization;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Storage.Configuration;

/// <summary>Checks <see cref="MessageStoreOptions"/> when a store opens.</summary>
/// <remarks>Every message names <c>MessageStoreOptions.Property</c>, the value and the allowed range.</remarks>
internal static class MessageStoreOptionsValidator
{
    /// <summary>Smallest segment: enough for a handful of small records in tests.</summary>
    public const long MinSegmentSize = 4 * 1024;

    /// <summary>Largest segment: the writer addresses a segment with an int32-sized buffer per group and RandomAccess offsets.</summary>
    public const long MaxSegmentSize = 16L << 30;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public static void Validate(MessageStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            Fail(nameof(MessageStoreOptions.Directory), "''", "a non-empty path");
        }

        if (options.FlushPolicy is null)
        {
            Fail(nameof(MessageStoreOptions.FlushPolicy), "null", "FlushPolicy.Sync or FlushPolicy.Async(interval)");
        }

        Range(nameof(MessageStoreOptions.MaxBodySize), options.MaxBodySize, 1, 64L << 20);
        Range(nameof(MessageStoreOptions.MaxPropertiesSize), options.MaxPropertiesSize, 0, 1L << 20);
        var largestRecord = (long)RecordLayout.RecordSize(RecordLayout.MaxTopicLength, options.MaxPropertiesSize, options.MaxBodySize);
        Range(nameof(MessageStoreOptions.SegmentSize), options.SegmentSize, Math.Max(MinSegmentSize, largestRecord), MaxSegmentSize,
            $" (the lower bound is the largest record: 64 + 255 + MaxPropertiesSize {options.MaxPropertiesSize} + MaxBodySize {options.MaxBodySize})");
        Range(nameof(MessageStoreOptions.FlushTimeout), options.FlushTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(10));
        Range(nameof(MessageStoreOptions.ConsumeQueueEntriesPerFile), options.ConsumeQueueEntriesPerFile, 16, 50_000_000);
        Range(nameof(MessageStoreOptions.IndexEntriesPerFile), options.IndexEntriesPerFile, 16, 50_000_000);
        Range(nameof(MessageStoreOptions.Retention), options.Retention, TimeSpan.FromSeconds(1), TimeSpan.FromDays(3650));
        Range(nameof(MessageStoreOptions.RetentionCheckInterval), options.RetentionCheckInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(24));
        Range(nameof(MessageStoreOptions.CheckpointInterval), options.CheckpointInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        Range(nameof(MessageStoreOptions.IndexFlushInterval), options.IndexFlushInterval, TimeSpan.Zero, TimeSpan.FromHours(1));
        Range(nameof(MessageStoreOptions.IndexFlushBytes), options.IndexFlushBytes, 0, long.MaxValue);
        Range(nameof(MessageStoreOptions.LogCacheBytes), options.LogCacheBytes, 0, long.MaxValue);
        if (!(options.DiskUsageHighWatermark > 0 && options.DiskUsageHighWatermark <= 1))
        {
            Fail(nameof(MessageStoreOptions.DiskUsageHighWatermark), options.DiskUsageHighWatermark.ToString(CultureInfo.InvariantCulture), "(0, 1]");
        }

        Range(nameof(MessageStoreOptions.MinFreeDiskBytes), options.MinFreeDiskBytes, 0, long.MaxValue);
    }

    private static void Range(string name, long value, long min, long max, string note = "")
    {
        if (value < min || value > max)
        {
            Fail(name, value.ToString(CultureInfo.InvariantCulture), $"[{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]{note}");
        }
    }

    private static void Range(string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            Fail(name, value.ToString("c", CultureInfo.InvariantCulture), $"[{min.ToString("c", CultureInfo.InvariantCulture)}, {max.ToString("c", CultureInfo.InvariantCulture)}]");
        }
    }

    private static void Fail(string name, string value, string allowed)
        => throw new ArgumentException($"MessageStoreOptions.{name} is {value}; allowed: {allowed}.", name);
}
