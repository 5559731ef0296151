namespace OrleansMq.Grains.Diagnostics;

/// <summary>Names of the meters a broker publishes on (for exporters: <c>AddMeter(...)</c>); see docs/operations.md.</summary>
public static class MeterNames
{
    /// <summary>The message store: append and flush latency, appended messages and bytes, disk usage, store size.</summary>
    public const string Storage = "OrleansMq.Storage";

    /// <summary>The broker: messages and bytes in and out per topic, pull latency, pending timers, disk free and watermark.</summary>
    public const string Broker = BrokerInstruments.MeterName;

    /// <summary>Consumer groups: lag and age of the oldest unconsumed message per group and topic.</summary>
    public const string Consumers = ConsumerInstruments.MeterName;

    /// <summary>Every OrleansMq meter.</summary>
    public static IReadOnlyList<string> All { get; } = [Storage, Broker, Consumers];
}
