using OrleansMq.Client.Messages;
using OrleansMq.Grains.Transactions;

namespace OrleansMq.Client.Transactions;

/// <summary>
/// Runs the local transaction of a transactional send and answers the brokers' check-backs (RocketMQ
/// TransactionListener).
/// </summary>
/// <remarks>
/// Both methods receive the half message as the broker stored it: its <see cref="ReceivedMessage.MessageId"/> is
/// the transaction id, the same in both calls, as are its <see cref="ReceivedMessage.UniqueKey"/>, keys, properties
/// and body, so either can correlate a check-back with the local transaction (its queue offset is -1, and its store
/// timestamp is 0 in <see cref="ExecuteLocalTransactionAsync"/>). Calls are concurrent: sends run their
/// local transactions in parallel, and a check-back may ask about many messages at once, on any producer of the group
/// (not only the one that sent the message). Returning <see cref="LocalTransactionState.Unknown"/> or throwing
/// leaves the message pending; the broker asks again later.
/// </remarks>
public interface ITransactionListener
{
    /// <summary>Runs the local transaction for a half message just stored; the result commits or rolls it back.</summary>
    /// <param name="message">The half message (invisible to consumers until committed).</param>
    /// <param name="arg">The argument given to <see cref="TransactionProducer.SendMessageInTransactionAsync"/>.</param>
    Task<LocalTransactionState> ExecuteLocalTransactionAsync(ReceivedMessage message, object? arg);

    /// <summary>Tells a broker the outcome of a local transaction it has not heard about (the producer died, or answered Unknown).</summary>
    /// <param name="message">The half message, with the same message id as in <see cref="ExecuteLocalTransactionAsync"/>.</param>
    Task<LocalTransactionState> CheckLocalTransactionAsync(ReceivedMessage message);
}
