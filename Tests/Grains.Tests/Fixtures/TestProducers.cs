using OrleansMq.Client.Producing;

namespace OrleansMq.Grains.Tests.Fixtures;

/// <summary>Producer settings shared by tests.</summary>
public static class TestProducers
{
    /// <summary>
    /// Round-robin queue selection: for tests that send a burst and count on it being spread evenly over the queues
    /// (the default, sticky, puts a burst of small messages into one queue).
    /// </summary>
    public static readonly ProducerOptions RoundRobin = new() { QueueSelection = QueueSelection.RoundRobin };
}
