using Orleans.Runtime.Placement;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Grains.Placement;

/// <summary>
/// Chooses the active silo whose name is the broker in the grain key. Deterministic from the cluster-wide
/// membership snapshot, so concurrent first calls from different silos agree. When a restarted broker is briefly
/// listed twice (old generation not yet declared dead), the newest generation wins.
/// </summary>
/// <remarks>A keyed singleton called concurrently: it keeps no mutable state.</remarks>
internal sealed class BrokerPinnedPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString() ?? "";
        var broker = QueueKey.BrokerOf(key);
        var compatible = context.GetCompatibleSilos(target);
        SiloAddress? chosen = null;
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active
                && broker.SequenceEqual(member.Name)
                && compatible.Contains(member.SiloAddress)
                && (chosen is null || member.SiloAddress.Generation > chosen.Generation))
            {
                chosen = member.SiloAddress;
            }
        }

        return chosen is not null
            ? Task.FromResult(chosen)
            : Task.FromException<SiloAddress>(new BrokerUnavailableException(broker.ToString()));
    }
}
