using Orleans.Concurrency;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Grains;

/// <summary>Receives route changes of subscribed topics (client route caches).</summary>
[Alias("OrleansMq.ITopicRouteObserver")]
public interface ITopicRouteObserver : IGrainObserver
{
    /// <summary>The route of <paramref name="topic"/> changed; null when the topic was deleted.</summary>
    [Alias("OnRouteChanged"), OneWay]
    Task OnRouteChanged(string topic, TopicRoute? route);
}
