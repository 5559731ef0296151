namespace OrleansMq.Grains;

/// <summary>
/// The cluster's list of topics and the single place where queues are assigned to brokers (key 0), so concurrent
/// topic creations see each other's assignments and new queues go to the live brokers with fewest queues.
/// </summary>
[Alias("OrleansMq.ITopicRegistryGrain")]
public interface ITopicRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Assigns brokers to queues <c>current.Length .. queueCount-1</c> of <paramref name="topic"/>, records the whole
    /// assignment and returns it (index = queue id).
    /// </summary>
    /// <exception cref="Errors.OrleansMqException">No broker is alive.</exception>
    [Alias("Allocate")]
    Task<string[]> AllocateAsync(string topic, string[] current, int queueCount);

    /// <summary>Forgets a topic.</summary>
    [Alias("Remove")]
    Task RemoveAsync(string topic);

    /// <summary>Every topic name, sorted.</summary>
    [Alias("List")]
    Task<string[]> ListAsync();

    /// <summary>Queues per broker across all topics.</summary>
    [Alias("GetQueueCounts")]
    Task<Dictionary<string, int>> GetQueueCountsAsync();
}
