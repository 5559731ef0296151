namespace OrleansMq.Grains.Transactions;

/// <summary>Commits or rolls back a half message (RocketMQ END_TRANSACTION).</summary>
/// <param name="TransactionLogOffset">Log offset of the half message on the broker (from the transaction id).</param>
/// <param name="State"><see cref="LocalTransactionState.Commit"/> or <see cref="LocalTransactionState.Rollback"/>.</param>
/// <param name="ProducerGroup">The producer group that prepared it; null for an operator (admin) ending it.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.EndTransactionRequest")]
public sealed record EndTransactionRequest(
    [property: Id(0)] long TransactionLogOffset,
    [property: Id(1)] LocalTransactionState State,
    [property: Id(2)] string? ProducerGroup);
