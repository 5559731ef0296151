namespace OrleansMq.Grains.Transactions;

/// <summary>A live transaction producer, asked by brokers for the outcome of local transactions they do not know.</summary>
[Alias("OrleansMq.ITransactionCheckObserver")]
public interface ITransactionCheckObserver : IGrainObserver
{
    /// <summary>Runs the listener's check for each message and returns the states in the same order.</summary>
    [Alias("Check")]
    Task<LocalTransactionState[]> CheckAsync(TransactionCheck[] checks);
}
