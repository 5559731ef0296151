using OrleansMq.Grains.Transactions;

namespace OrleansMq.Client.Transactions;

/// <summary>The producer's check-back endpoint: runs the listener's check for every message of a broker's request at once.</summary>
/// <remarks>Kept referenced by its producer for as long as the object reference exists (Orleans holds observers weakly).</remarks>
internal sealed class TransactionCheckResponder(TransactionProducer producer) : ITransactionCheckObserver
{
    public Task<LocalTransactionState[]> CheckAsync(TransactionCheck[] checks)
    {
        var answers = new Task<LocalTransactionState>[checks.Length];
        for (var i = 0; i < answers.Length; i++)
        {
            answers[i] = producer.CheckLocalAsync(checks[i]);
        }

        return Task.WhenAll(answers);
    }
}
