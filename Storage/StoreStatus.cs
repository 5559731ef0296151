namespace OrleansMq.Storage;

/// <summary>A snapshot of the store's positions and disk usage.</summary>
public sealed record StoreStatus
{
    /// <summary>Log offset just past the last record written to the OS.</summary>
    public required long WrittenPosition { get; init; }

    /// <summary>Log offset just past the last fdatasync'ed record.</summary>
    public required long DurablePosition { get; init; }

    /// <summary>Smallest log offset still on disk (first segment's start).</summary>
    public required long MinLogOffset { get; init; }

    /// <summary>Number of commit log segment files.</summary>
    public required int SegmentCount { get; init; }

    /// <summary>Bytes used by the store's files.</summary>
    public required long StoreBytes { get; init; }

    /// <summary>Total size of the disk holding the store.</summary>
    public required long DiskTotalBytes { get; init; }

    /// <summary>Free bytes on that disk.</summary>
    public required long DiskFreeBytes { get; init; }

    /// <summary>True while appends are rejected for lack of space.</summary>
    public required bool IsDiskFull { get; init; }
}
