using OrleansMq.Client.Messages;

namespace OrleansMq.Client.Consuming.Internal;

/// <summary>A batch of one queue's messages for one listener call, with how often it was tried.</summary>
internal sealed record ConsumeRequest(QueueConsumer Queue, IReadOnlyList<ReceivedMessage> Messages, int Attempt);
