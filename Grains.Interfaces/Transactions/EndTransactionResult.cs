namespace OrleansMq.Grains.Transactions;

/// <summary>The broker's answer to an <see cref="EndTransactionRequest"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="StoreId">The broker's store id (with <paramref name="LogOffset"/> it forms the committed message's id).</param>
/// <param name="LogOffset">Log offset of the committed message; -1 unless <see cref="EndTransactionStatus.Committed"/>.</param>
/// <param name="QueueOffset">Queue offset of the committed message; -1 unless <see cref="EndTransactionStatus.Committed"/>.</param>
/// <param name="Error">What is wrong and what is allowed, for the statuses that are not a success.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.EndTransactionResult")]
public sealed record EndTransactionResult(
    [property: Id(0)] EndTransactionStatus Status,
    [property: Id(1)] long StoreId,
    [property: Id(2)] long LogOffset = -1,
    [property: Id(3)] long QueueOffset = -1,
    [property: Id(4)] string? Error = null);
