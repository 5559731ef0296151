namespace OrleansMq.Grains.Transactions;

/// <summary>A transaction producer joining its producer group.</summary>
/// <param name="ProducerId">Member id chosen by the producer, unique and stable for its lifetime (kept in its half messages).</param>
/// <param name="ClientId">The producer's instance name (host, process), for operators.</param>
/// <param name="Observer">Called by brokers to check back local transactions.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.ProducerRegistration")]
public sealed record ProducerRegistration(
    [property: Id(0)] string ProducerId,
    [property: Id(1)] string ClientId,
    [property: Id(2)] ITransactionCheckObserver Observer);
