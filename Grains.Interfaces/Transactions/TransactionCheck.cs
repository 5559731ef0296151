using OrleansMq.Grains.Messages;

namespace OrleansMq.Grains.Transactions;

/// <summary>One half message whose outcome the broker asks a producer of its group about (RocketMQ CHECK_TRANSACTION_STATE).</summary>
/// <param name="Message">
/// The half message as it will be delivered: its real topic and queue, the half's store id and log offset (so its
/// message id is the transaction id), queue offset -1.
/// </param>
/// <param name="CheckNumber">1 for the first check-back of this message, up to the broker's most checks.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.TransactionCheck")]
public sealed record TransactionCheck([property: Id(0)] StoredMessageData Message, [property: Id(1)] int CheckNumber);
