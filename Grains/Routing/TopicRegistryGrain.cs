using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Persistence;

namespace OrleansMq.Grains.Routing;

/// <summary>
/// The one allocator of queues to brokers. Single activation makes allocation race-free; each new queue goes to the
/// live broker that holds the fewest queues across all topics (ties by name), so a newly added broker fills up first.
/// </summary>
internal sealed class TopicRegistryGrain(
    [PersistentState(StateStorage.TopicRegistry, StateStorage.ProviderName)] IPersistentState<TopicRegistryState> state,
    IClusterMembershipService membership) : Grain, ITopicRegistryGrain
{
    public async Task<string[]> AllocateAsync(string topic, string[] current, int queueCount)
    {
        var live = LiveBrokers();
        if (live.Count == 0)
        {
            throw new OrleansMqException($"Cannot place the queues of topic '{topic}': no broker is alive.");
        }

        var counts = CountQueues(excludeTopic: topic);
        foreach (var broker in current)
        {
            counts[broker] = counts.GetValueOrDefault(broker) + 1;
        }

        var assignment = new string[queueCount];
        Array.Copy(current, assignment, current.Length);
        for (var queue = current.Length; queue < queueCount; queue++)
        {
            var best = live[0];
            foreach (var broker in live)
            {
                if (counts.GetValueOrDefault(broker) < counts.GetValueOrDefault(best))
                {
                    best = broker;
                }
            }

            assignment[queue] = best;
            counts[best] = counts.GetValueOrDefault(best) + 1;
        }

        state.State.Topics[topic] = assignment;
        await state.WriteStateAsync();
        return assignment;
    }

    public async Task RemoveAsync(string topic)
    {
        if (state.State.Topics.Remove(topic))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<string[]> ListAsync()
    {
        var names = state.State.Topics.Keys.ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        return Task.FromResult(names);
    }

    public Task<Dictionary<string, int>> GetQueueCountsAsync() => Task.FromResult(CountQueues(excludeTopic: null));

    private Dictionary<string, int> CountQueues(string? excludeTopic)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (topic, brokers) in state.State.Topics)
        {
            if (string.Equals(topic, excludeTopic, StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var broker in brokers)
            {
                counts[broker] = counts.GetValueOrDefault(broker) + 1;
            }
        }

        return counts;
    }

    private List<string> LiveBrokers()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && !string.IsNullOrEmpty(member.Name))
            {
                names.Add(member.Name);
            }
        }

        return [.. names];
    }
}
