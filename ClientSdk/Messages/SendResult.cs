using OrleansMq.Grains.Messages;

namespace OrleansMq.Client.Messages;

/// <summary>What the broker did with a sent message.</summary>
/// <param name="Status"><see cref="SendStatus.Ok"/>, or <see cref="SendStatus.FlushDiskTimeout"/> when stored but not yet flushed in time.</param>
/// <param name="MessageId">Broker-assigned id (store id + log offset); look the message up by it.</param>
/// <param name="UniqueKey">Client-generated unique key.</param>
/// <param name="Queue">The queue that stored it.</param>
/// <param name="QueueOffset">Its offset in that queue; -1 for a delay or timer message, which gets its offset when delivered.</param>
public sealed record SendResult(SendStatus Status, string MessageId, string UniqueKey, MessageQueue Queue, long QueueOffset);
