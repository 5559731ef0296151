namespace OrleansMq.Grains.Transactions;

/// <summary>
/// One producer group (keyed by group name): the live transaction producers that brokers can ask to check back
/// transactions, with heartbeats and expiry as for consumer groups. Membership is kept in memory; producers register
/// again when a heartbeat finds the group does not know them (after the grain moved or restarted).
/// </summary>
[Alias("OrleansMq.IProducerGroupGrain")]
public interface IProducerGroupGrain : IGrainWithStringKey
{
    /// <summary>Adds or refreshes a producer.</summary>
    /// <exception cref="Errors.InvalidRequestException">Bad group name or producer id, or no observer.</exception>
    [Alias("Register")]
    Task<ProducerMembership> RegisterAsync(ProducerRegistration registration);

    /// <summary>Keeps a producer alive; false when the group does not know it (register again).</summary>
    [Alias("Heartbeat")]
    Task<bool> HeartbeatAsync(string producerId);

    /// <summary>Removes a producer that stops cleanly.</summary>
    [Alias("Unregister")]
    Task UnregisterAsync(string producerId);

    /// <summary>The live producers, for operators.</summary>
    [Alias("Describe")]
    Task<ProducerInfo[]> DescribeAsync();

    /// <summary>The live producers' check-back endpoints, most recently heard first (for brokers).</summary>
    [Alias("GetCheckTargets")]
    Task<CheckTarget[]> GetCheckTargetsAsync();
}
