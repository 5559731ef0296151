using OrleansMq.Client.Messages;

namespace OrleansMq.Client.Consuming;

/// <summary>
/// Consumes messages in parallel (RocketMQ MessageListenerConcurrently). Throwing counts as
/// <see cref="ConsumeConcurrentlyStatus.ReconsumeLater"/>.
/// </summary>
public delegate Task<ConsumeConcurrentlyStatus> MessageListenerConcurrently(
    IReadOnlyList<ReceivedMessage> messages, ConsumeConcurrentlyContext context, CancellationToken cancellationToken);
