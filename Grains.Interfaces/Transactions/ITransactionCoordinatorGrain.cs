using OrleansMq.Grains.Messages;

namespace OrleansMq.Grains.Transactions;

/// <summary>
/// Transactional messages on one broker (keyed by broker name, activated on that broker next to its log): stores half
/// messages and commits or rolls them back. Check-backs run in the broker itself.
/// </summary>
[Alias("OrleansMq.ITransactionCoordinatorGrain")]
public interface ITransactionCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Stores a half message durably, invisible to consumers. The response has one entry whose log offset is the
    /// transaction's position (with the store id it forms the transaction id).
    /// </summary>
    /// <exception cref="Errors.InvalidRequestException">Bad producer group, producer id or batch.</exception>
    [Alias("Prepare")]
    Task<AppendResponse> PrepareAsync(PrepareRequest request, CancellationToken cancellationToken = default);

    /// <summary>Commits (appends the message to its queue) or rolls back (discards) a pending half message.</summary>
    /// <exception cref="Errors.InvalidRequestException">The state is <see cref="LocalTransactionState.Unknown"/>.</exception>
    [Alias("EndTransaction")]
    Task<EndTransactionResult> EndTransactionAsync(EndTransactionRequest request);

    /// <summary>Half messages waiting for their outcome on this broker.</summary>
    [Alias("GetPendingCount")]
    Task<int> GetPendingCountAsync();
}
