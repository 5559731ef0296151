using OrleansMq.Grains.Brokers;

namespace OrleansMq.Grains;

/// <summary>The brokers of the cluster and their store ids (key 0), so a message id can be traced to its broker.</summary>
[Alias("OrleansMq.IBrokerRegistryGrain")]
public interface IBrokerRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Called by each broker when it starts.</summary>
    /// <exception cref="Errors.OrleansMqException">Another live broker already uses that name with a different store.</exception>
    [Alias("Register")]
    Task RegisterAsync(string name, long storeId, string siloAddress);

    /// <summary>Every broker ever registered, with its liveness now.</summary>
    [Alias("List")]
    Task<BrokerInfo[]> ListAsync();

    /// <summary>The broker whose store has that id, or null.</summary>
    [Alias("FindByStoreId")]
    Task<string?> FindByStoreIdAsync(long storeId);
}
