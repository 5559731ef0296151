using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Persistence;

namespace OrleansMq.Grains.Brokers;

/// <summary>The brokers of the cluster with their store ids; refuses a second live broker with the same name.</summary>
internal sealed class BrokerRegistryGrain(
    [PersistentState(StateStorage.BrokerRegistry, StateStorage.ProviderName)] IPersistentState<BrokerRegistryState> state,
    IClusterMembershipService membership,
    TimeProvider timeProvider) : Grain, IBrokerRegistryGrain
{
    public async Task RegisterAsync(string name, long storeId, string siloAddress)
    {
        if (state.State.Brokers.TryGetValue(name, out var existing)
            && existing.StoreId != storeId
            && !string.Equals(existing.SiloAddress, siloAddress, StringComparison.Ordinal)
            && IsActive(existing.SiloAddress))
        {
            throw new OrleansMqException(
                $"Broker name '{name}' is already used by the live silo {existing.SiloAddress} with a different store "
                + $"({existing.StoreId:X16}, this one {storeId:X16}). Give every broker a unique name.");
        }

        state.State.Brokers[name] = new BrokerRecord { StoreId = storeId, SiloAddress = siloAddress, RegisteredAt = timeProvider.GetUtcNow() };
        await state.WriteStateAsync();
    }

    public Task<BrokerInfo[]> ListAsync()
    {
        var result = new List<BrokerInfo>(state.State.Brokers.Count);
        foreach (var (name, record) in state.State.Brokers)
        {
            result.Add(new BrokerInfo(name, record.StoreId, record.SiloAddress, IsNameActive(name), record.RegisteredAt));
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return Task.FromResult(result.ToArray());
    }

    public Task<string?> FindByStoreIdAsync(long storeId)
    {
        foreach (var (name, record) in state.State.Brokers)
        {
            if (record.StoreId == storeId)
            {
                return Task.FromResult<string?>(name);
            }
        }

        return Task.FromResult<string?>(null);
    }

    private bool IsActive(string siloAddress)
    {
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && string.Equals(member.SiloAddress.ToString(), siloAddress, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsNameActive(string name)
    {
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && string.Equals(member.Name, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
