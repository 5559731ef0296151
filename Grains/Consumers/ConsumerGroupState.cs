namespace OrleansMq.Grains.Consumers;

/// <summary>Persisted state of a consumer group. Ids are stable; only add.</summary>
[GenerateSerializer, Alias("OrleansMq.ConsumerGroupState")]
internal sealed class ConsumerGroupState
{
    /// <summary>Committed offset per queue key (<c>topic|queueId</c>): the next offset to consume.</summary>
    [Id(0)] public Dictionary<string, long> Offsets { get; set; } = [];

    /// <summary>
    /// Incremented on every activation. Leases and generations carry it in their high 32 bits, so numbers handed out
    /// by an earlier activation (possibly still held by a zombie member) never repeat.
    /// </summary>
    [Id(1)] public long Epoch { get; set; }
}
