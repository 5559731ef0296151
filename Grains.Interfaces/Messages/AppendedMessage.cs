namespace OrleansMq.Grains.Messages;

/// <summary>The broker's answer for one message of a batch.</summary>
/// <param name="Status">Outcome.</param>
/// <param name="LogOffset">Commit log offset (with the broker's store id it forms the message id); -1 when not stored.</param>
/// <param name="QueueOffset">Offset in the queue; -1 when not stored.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.AppendedMessage")]
public readonly record struct AppendedMessage([property: Id(0)] SendStatus Status, [property: Id(1)] long LogOffset, [property: Id(2)] long QueueOffset);
