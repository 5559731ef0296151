using OrleansMq.Client.Messages;

namespace OrleansMq.Client.Consuming;

/// <summary>Context of a concurrent listener call.</summary>
/// <param name="Queue">The queue the messages came from.</param>
public sealed record ConsumeConcurrentlyContext(MessageQueue Queue);
