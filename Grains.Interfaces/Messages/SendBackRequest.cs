namespace OrleansMq.Grains.Messages;

/// <summary>A consumer gives a message it could not consume back to the broker that stores it (RocketMQ sendMessageBack).</summary>
/// <param name="Group">The consumer group.</param>
/// <param name="LogOffset">Commit log offset of the consumed message on that broker.</param>
/// <param name="MaxReconsumeTimes">Reconsume attempts allowed before the dead-letter queue (RocketMQ default 16).</param>
/// <param name="DeadLetter">Send straight to the DLQ (an orderly consumer that exhausted its in-place retries).</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.SendBackRequest")]
public sealed record SendBackRequest(
    [property: Id(0)] string Group,
    [property: Id(1)] long LogOffset,
    [property: Id(2)] int MaxReconsumeTimes,
    [property: Id(3)] bool DeadLetter = false);
