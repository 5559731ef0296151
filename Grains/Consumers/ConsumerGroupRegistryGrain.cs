using OrleansMq.Grains.Persistence;

namespace OrleansMq.Grains.Consumers;

/// <summary>Remembers every consumer group name, for listing.</summary>
internal sealed class ConsumerGroupRegistryGrain(
    [PersistentState(StateStorage.ConsumerGroupRegistry, StateStorage.ProviderName)] IPersistentState<ConsumerGroupRegistryState> state)
    : Grain, IConsumerGroupRegistryGrain
{
    public async Task AddAsync(string group)
    {
        if (state.State.Groups.Add(group))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<string[]> ListAsync() => Task.FromResult(state.State.Groups.ToArray());
}
