namespace OrleansMq.Client.Consuming;

/// <summary>What a concurrent listener did with its messages.</summary>
public enum ConsumeConcurrentlyStatus
{
    /// <summary>Consumed; the offset may move past them.</summary>
    ConsumeSuccess = 0,

    /// <summary>Failed; deliver them again later (never dropped).</summary>
    ReconsumeLater = 1,
}
