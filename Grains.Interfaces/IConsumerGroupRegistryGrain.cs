namespace OrleansMq.Grains;

/// <summary>The names of every consumer group that ever had a member (key 0).</summary>
[Alias("OrleansMq.IConsumerGroupRegistryGrain")]
public interface IConsumerGroupRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Records a group (idempotent).</summary>
    [Alias("Add")]
    Task AddAsync(string group);

    /// <summary>Every group name, sorted.</summary>
    [Alias("List")]
    Task<string[]> ListAsync();
}
