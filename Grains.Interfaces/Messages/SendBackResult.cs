namespace OrleansMq.Grains.Messages;

/// <summary>Where a sent-back message went.</summary>
/// <param name="Topic">The retry topic (<c>%RETRY%group</c>) or the dead-letter topic (<c>%DLQ%group</c>).</param>
/// <param name="ReconsumeTimes">The message's reconsume count now.</param>
/// <param name="DelayLevel">Delay level of the retry; 0 for the DLQ.</param>
/// <param name="MessageId">Id of the stored retry (or DLQ) copy.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.SendBackResult")]
public sealed record SendBackResult([property: Id(0)] string Topic, [property: Id(1)] int ReconsumeTimes, [property: Id(2)] int DelayLevel, [property: Id(3)] string MessageId);
