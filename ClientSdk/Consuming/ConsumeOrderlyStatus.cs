namespace OrleansMq.Client.Consuming;

/// <summary>What an orderly listener did with its messages.</summary>
public enum ConsumeOrderlyStatus
{
    /// <summary>Consumed; continue with the next messages of the queue.</summary>
    Success = 0,

    /// <summary>Failed; pause the queue for <see cref="ConsumeOrderlyContext.SuspendTime"/> and retry the same messages (order is kept).</summary>
    SuspendCurrentQueueAMoment = 1,
}
