namespace OrleansMq.Grains.Transactions;

/// <summary>A live member of a producer group.</summary>
/// <param name="ProducerId">Member id.</param>
/// <param name="ClientId">Instance name (host, process).</param>
/// <param name="Registered">When it (last) registered.</param>
/// <param name="LastHeartbeat">When the group last heard from it.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.ProducerInfo")]
public sealed record ProducerInfo(
    [property: Id(0)] string ProducerId,
    [property: Id(1)] string ClientId,
    [property: Id(2)] DateTimeOffset Registered,
    [property: Id(3)] DateTimeOffset LastHeartbeat);
