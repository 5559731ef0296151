using Orleans.Concurrency;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Grains;

/// <summary>
/// The route of one topic (keyed by topic name): its queues and their owning brokers, its permission, and the
/// observers to tell when it changes. Replaces RocketMQ's NameServer for that topic.
/// </summary>
[Alias("OrleansMq.ITopicRouteGrain")]
public interface ITopicRouteGrain : IGrainWithStringKey
{
    /// <summary>The route, or null when the topic does not exist.</summary>
    [Alias("GetRoute"), AlwaysInterleave]
    Task<TopicRoute?> GetRouteAsync();

    /// <summary>The route for a producer: creates the topic with the broker's defaults when auto-create is on.</summary>
    /// <exception cref="Errors.TopicNotFoundException">The topic does not exist and auto-create is off.</exception>
    [Alias("GetRouteForSend")]
    Task<TopicRoute> GetRouteForSendAsync();

    /// <summary>Creates the topic.</summary>
    /// <exception cref="Errors.TopicExistsException">It already exists.</exception>
    /// <exception cref="Errors.InvalidRequestException">The name or config is invalid.</exception>
    [Alias("Create")]
    Task<TopicRoute> CreateAsync(TopicConfig config);

    /// <summary>Grows the queue count and/or changes the permission.</summary>
    /// <exception cref="Errors.TopicNotFoundException">The topic does not exist.</exception>
    /// <exception cref="Errors.InvalidRequestException">Shrinking, or an invalid config.</exception>
    [Alias("Update")]
    Task<TopicRoute> UpdateAsync(TopicConfig config);

    /// <summary>Deletes the topic and its queues' data on every broker. Returns false when it did not exist.</summary>
    [Alias("Delete")]
    Task<bool> DeleteAsync();

    /// <summary>Registers an observer told about every route change. Subscriptions expire: renew within 5 minutes.</summary>
    [Alias("Subscribe")]
    Task SubscribeAsync(ITopicRouteObserver observer);

    /// <summary>Removes an observer.</summary>
    [Alias("Unsubscribe")]
    Task UnsubscribeAsync(ITopicRouteObserver observer);
}
