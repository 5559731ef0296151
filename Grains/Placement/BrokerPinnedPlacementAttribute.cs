using Orleans.Placement;

namespace OrleansMq.Grains.Placement;

/// <summary>Marks a grain class for <see cref="BrokerPinnedPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class BrokerPinnedPlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public BrokerPinnedPlacementAttribute()
        : base(BrokerPinnedPlacement.Instance)
    {
    }
}
