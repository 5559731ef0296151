using Orleans.Concurrency;
using Orleans.Placement;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Placement;

namespace OrleansMq.Grains.Transactions;

/// <summary>The broker's transaction endpoint, activated on the broker it names; a thin façade over <see cref="TransactionService"/>.</summary>
[BrokerPinnedPlacement, Immovable, Reentrant]
internal sealed class TransactionCoordinatorGrain(TransactionService transactions) : Grain, ITransactionCoordinatorGrain
{
    public Task<AppendResponse> PrepareAsync(PrepareRequest request, CancellationToken cancellationToken) =>
        transactions.PrepareAsync(request ?? throw new Errors.InvalidRequestException("The prepare request is missing."), cancellationToken);

    public Task<EndTransactionResult> EndTransactionAsync(EndTransactionRequest request) =>
        transactions.EndAsync(request ?? throw new Errors.InvalidRequestException("The end transaction request is missing."));

    public Task<int> GetPendingCountAsync() => Task.FromResult(transactions.PendingCount);
}
