namespace OrleansMq.Grains.Placement;

/// <summary>
/// Places a grain on the silo of the broker named by the first part of its key (<c>broker</c> or <c>broker|…</c>),
/// so queue grains run next to the commit log that holds their messages.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("OrleansMq.BrokerPinnedPlacement")]
public sealed class BrokerPinnedPlacement : PlacementStrategy
{
    /// <summary>The one instance.</summary>
    public static BrokerPinnedPlacement Instance { get; } = new();
}
