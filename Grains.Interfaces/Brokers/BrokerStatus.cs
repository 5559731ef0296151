namespace OrleansMq.Grains.Brokers;

/// <summary>Live figures of one broker's store.</summary>
[GenerateSerializer, Immutable, Alias("OrleansMq.BrokerStatus")]
public sealed record BrokerStatus
{
    /// <summary>Broker name.</summary>
    [Id(0)] public required string Name { get; init; }

    /// <summary>Store id.</summary>
    [Id(1)] public required long StoreId { get; init; }

    /// <summary>Commit log position written to the OS.</summary>
    [Id(2)] public required long WrittenPosition { get; init; }

    /// <summary>Commit log position made durable.</summary>
    [Id(3)] public required long DurablePosition { get; init; }

    /// <summary>Smallest log offset still on disk.</summary>
    [Id(4)] public required long MinLogOffset { get; init; }

    /// <summary>Bytes used by the store.</summary>
    [Id(5)] public required long StoreBytes { get; init; }

    /// <summary>Disk size.</summary>
    [Id(6)] public required long DiskTotalBytes { get; init; }

    /// <summary>Free disk bytes.</summary>
    [Id(7)] public required long DiskFreeBytes { get; init; }

    /// <summary>True while appends are refused for lack of disk space.</summary>
    [Id(8)] public required bool IsDiskFull { get; init; }

    /// <summary>Number of queues in the store.</summary>
    [Id(9)] public required int QueueCount { get; init; }

    /// <summary>The flush policy, as configured.</summary>
    [Id(10)] public required string FlushPolicy { get; init; }
}
