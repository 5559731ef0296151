using OrleansMq.Client.Messages;
using OrleansMq.Grains.Transactions;

namespace OrleansMq.Client.Transactions;

/// <summary>The outcome of <see cref="TransactionProducer.SendMessageInTransactionAsync"/>.</summary>
/// <param name="LocalTransactionState">What the local transaction returned.</param>
/// <param name="EndStatus">
/// What the broker did with the commit or rollback; <see cref="EndTransactionStatus.Invalid"/> when none was sent
/// (the state was Unknown) or it could not be delivered (a check-back then resolves the transaction).
/// </param>
/// <param name="TransactionId">
/// The half message's id: the <see cref="ReceivedMessage.MessageId"/> the listener saw, and what an operator passes to
/// <c>MqAdmin.EndTransactionAsync</c>.
/// </param>
/// <param name="UniqueKey">The client unique key; the committed message keeps it.</param>
/// <param name="Queue">The queue the message is committed to.</param>
/// <param name="MessageId">Id of the committed message; null unless this send committed it.</param>
/// <param name="QueueOffset">Offset of the committed message in its queue; -1 unless this send committed it.</param>
public sealed record TransactionSendResult(
    LocalTransactionState LocalTransactionState,
    EndTransactionStatus EndStatus,
    string TransactionId,
    string UniqueKey,
    MessageQueue Queue,
    string? MessageId,
    long QueueOffset);
