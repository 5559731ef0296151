using OrleansMq.Client.Messages;

namespace OrleansMq.Client.Consuming;

/// <summary>
/// Consumes each queue's messages one batch at a time in queue order (RocketMQ MessageListenerOrderly). Throwing
/// counts as <see cref="ConsumeOrderlyStatus.SuspendCurrentQueueAMoment"/>.
/// </summary>
public delegate Task<ConsumeOrderlyStatus> MessageListenerOrderly(
    IReadOnlyList<ReceivedMessage> messages, ConsumeOrderlyContext context, CancellationToken cancellationToken);
