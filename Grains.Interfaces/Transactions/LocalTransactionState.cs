namespace OrleansMq.Grains.Transactions;

/// <summary>The outcome of a local transaction, as the producer's listener reports it (RocketMQ LocalTransactionState).</summary>
/// <remarks>
/// Values are stable on the wire. 0 is <see cref="Unknown"/> rather than an invalid value on purpose: a state left at
/// its default must never commit or roll back a message; the broker asks again later instead.
/// </remarks>
[GenerateSerializer, Alias("OrleansMq.LocalTransactionState")]
public enum LocalTransactionState
{
    /// <summary>Not known yet (still running, or the outcome cannot be determined): the broker checks back later.</summary>
    Unknown = 0,

    /// <summary>The local transaction committed: the message becomes visible to consumers.</summary>
    Commit = 1,

    /// <summary>The local transaction rolled back: the message is discarded.</summary>
    Rollback = 2,
}
