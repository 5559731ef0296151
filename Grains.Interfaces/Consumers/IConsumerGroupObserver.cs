using Orleans.Concurrency;

namespace OrleansMq.Grains.Consumers;

/// <summary>Receives a member's new assignment as soon as the group computes it.</summary>
[Alias("OrleansMq.IConsumerGroupObserver")]
public interface IConsumerGroupObserver : IGrainObserver
{
    /// <summary>The member's assignment changed.</summary>
    [Alias("OnAssignmentChanged"), OneWay]
    Task OnAssignmentChanged(MemberAssignment assignment);
}
