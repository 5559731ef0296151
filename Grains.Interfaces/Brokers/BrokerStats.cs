namespace OrleansMq.Grains.Brokers;

/// <summary>
/// A broker's store figures and cumulative traffic, for operators (console, CLI). Rates are differences of two
/// samples divided by the difference of their <see cref="SampledAt"/>; totals restart at zero when the broker restarts
/// (a newer <see cref="StartedAt"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansMq.BrokerStats")]
public sealed record BrokerStats
{
    /// <summary>Positions and disk usage of the store.</summary>
    [Id(0)] public required BrokerStatus Status { get; init; }

    /// <summary>Free disk space below which the broker refuses sends (the disk watermark, <c>OrleansMq:Storage:MinFreeDiskBytes</c>).</summary>
    [Id(1)] public required long MinFreeDiskBytes { get; init; }

    /// <summary>Delay and timer messages waiting for their time.</summary>
    [Id(2)] public required int PendingTimers { get; init; }

    /// <summary>When the broker started (its totals count from here).</summary>
    [Id(3)] public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When these figures were read, on the broker's clock.</summary>
    [Id(4)] public required DateTimeOffset SampledAt { get; init; }

    /// <summary>Traffic per topic since the broker started, sorted by topic.</summary>
    [Id(5)] public required TopicTraffic[] Topics { get; init; }

    /// <summary>Messages stored since start, all topics.</summary>
    public long MessagesIn => Sum(static t => t.MessagesIn);

    /// <summary>Messages returned by pulls since start, all topics.</summary>
    public long MessagesOut => Sum(static t => t.MessagesOut);

    /// <summary>Bytes stored since start, all topics.</summary>
    public long BytesIn => Sum(static t => t.BytesIn);

    /// <summary>Bytes returned by pulls since start, all topics.</summary>
    public long BytesOut => Sum(static t => t.BytesOut);

    private long Sum(Func<TopicTraffic, long> value)
    {
        long total = 0;
        foreach (var topic in Topics)
        {
            total += value(topic);
        }

        return total;
    }
}
