namespace OrleansMq.Grains.Brokers;

/// <summary>A broker as registered in the cluster.</summary>
/// <param name="Name">Broker (silo) name.</param>
/// <param name="StoreId">Id of its store, the first half of its message ids.</param>
/// <param name="SiloAddress">Current silo address, as text.</param>
/// <param name="IsAlive">True while its silo is an active cluster member.</param>
/// <param name="RegisteredAt">When the broker last started.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.BrokerInfo")]
public sealed record BrokerInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] long StoreId,
    [property: Id(2)] string SiloAddress,
    [property: Id(3)] bool IsAlive,
    [property: Id(4)] DateTimeOffset RegisteredAt);
