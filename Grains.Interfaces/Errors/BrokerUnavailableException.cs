namespace OrleansMq.Grains.Errors;

/// <summary>The broker that owns a queue is not an active cluster member, so the queue cannot be served now.</summary>
[GenerateSerializer, Alias("OrleansMq.BrokerUnavailableException")]
public sealed class BrokerUnavailableException : OrleansMqException
{
    /// <summary>Creates the exception.</summary>
    public BrokerUnavailableException(string broker)
        : base($"Broker '{broker}' is not an active member of the cluster; its queues are unavailable until it is back.") => Broker = broker;

    /// <summary>The broker.</summary>
    [Id(0)]
    public string Broker { get; }
}
