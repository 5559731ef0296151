namespace OrleansMq.Storage;

/// <summary>The result for one message of an appended batch.</summary>
/// <param name="Status">Outcome for this message.</param>
/// <param name="LogOffset">Physical offset in the commit log, or -1 when not stored.</param>
/// <param name="QueueOffset">Logical offset in the queue, or -1 when not stored.</param>
public readonly record struct MessageAppendResult(AppendStatus Status, long LogOffset, long QueueOffset);

/// <summary>The result of <see cref="MessageStore.AppendAsync"/>.</summary>
/// <param name="Status">Batch outcome: <see cref="AppendStatus.Ok"/> when every message was stored, else the first failure.</param>
/// <param name="Messages">One result per batch entry, in batch order. Empty when the batch failed as a whole.</param>
/// <param name="StoreTimestamp">Broker store time of the batch, Unix milliseconds.</param>
public sealed record AppendResult(AppendStatus Status, MessageAppendResult[] Messages, long StoreTimestamp);
