namespace OrleansMq.Grains.Brokers;

/// <summary>A registered broker.</summary>
[GenerateSerializer, Alias("OrleansMq.BrokerRecord")]
internal sealed class BrokerRecord
{
    [Id(0)] public long StoreId { get; set; }

    [Id(1)] public string SiloAddress { get; set; } = "";

    [Id(2)] public DateTimeOffset RegisteredAt { get; set; }
}

/// <summary>Persisted state of the <see cref="BrokerRegistryGrain"/>.</summary>
[GenerateSerializer, Alias("OrleansMq.BrokerRegistryState")]
internal sealed class BrokerRegistryState
{
    /// <summary>Broker name → record.</summary>
    [Id(0)] public Dictionary<string, BrokerRecord> Brokers { get; set; } = [];
}
