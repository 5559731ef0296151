namespace OrleansMq.Grains.Transactions;

/// <summary>A live producer a broker may ask to check back a transaction.</summary>
/// <param name="ProducerId">Member id.</param>
/// <param name="Observer">Its check-back endpoint.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.CheckTarget")]
public sealed record CheckTarget([property: Id(0)] string ProducerId, [property: Id(1)] ITransactionCheckObserver Observer);
