using OrleansMq.Client.Messages;

namespace OrleansMq.Client.Consuming;

/// <summary>Context of an orderly listener call.</summary>
public sealed class ConsumeOrderlyContext
{
    internal ConsumeOrderlyContext(MessageQueue queue, TimeSpan suspendTime)
    {
        Queue = queue;
        SuspendTime = suspendTime;
    }

    /// <summary>The queue the messages came from; it is held exclusively while the listener runs.</summary>
    public MessageQueue Queue { get; }

    /// <summary>How long the queue pauses after <see cref="ConsumeOrderlyStatus.SuspendCurrentQueueAMoment"/>; the listener may change it.</summary>
    public TimeSpan SuspendTime { get; set; }
}
