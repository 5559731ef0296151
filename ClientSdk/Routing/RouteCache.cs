using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansMq.Grains;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Client.Routing;

/// <summary>
/// The client's view of topic routes. A route is fetched once, then kept current by push: the client subscribes an
/// observer to the topic's route grain and applies every change it is told about (newest version wins). A refresh
/// timer renews the subscriptions (they expire on the grain after 5 minutes) and re-reads the routes as a safety net
/// for a lost notification.
/// </summary>
/// <remarks>Thread-safe. Reads of a cached route are lock-free and allocation-free.</remarks>
internal sealed partial class RouteCache : ITopicRouteObserver, IAsyncDisposable
{
    private static readonly TimeSpan RenewInterval = TimeSpan.FromMinutes(1);

    private readonly IClusterClient _client;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, TopicRoute> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _subscribed = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly ITopicRouteObserver _reference;
    private readonly ITimer _renewTimer;
    private int _disposed;

    public RouteCache(IClusterClient client, ILogger logger)
    {
        _client = client;
        _logger = logger;
        _reference = client.CreateObjectReference<ITopicRouteObserver>(this);
        _renewTimer = TimeProvider.System.CreateTimer(_ => _ = RenewAsync(), null, RenewInterval, RenewInterval);
    }

    /// <summary>Raised after a route changed (new version or deletion).</summary>
    public event Action<string, TopicRoute?>? RouteChanged;

    /// <summary>The cached route, or null when not cached.</summary>
    public TopicRoute? TryGet(string topic) => _routes.TryGetValue(topic, out var route) ? route : null;

    /// <summary>The route for sending; auto-creates the topic when the broker allows it.</summary>
    /// <exception cref="Grains.Errors.TopicNotFoundException">No such topic and auto-create is off.</exception>
    public ValueTask<TopicRoute> GetForSendAsync(string topic) =>
        _routes.TryGetValue(topic, out var route) ? ValueTask.FromResult(route) : new ValueTask<TopicRoute>(FetchForSendAsync(topic));

    /// <summary>The route for reading; null when the topic does not exist.</summary>
    public async ValueTask<TopicRoute?> GetAsync(string topic)
    {
        if (_routes.TryGetValue(topic, out var route))
        {
            return route;
        }

        var fetched = await _client.GetGrain<ITopicRouteGrain>(topic).GetRouteAsync();
        if (fetched is not null)
        {
            Apply(topic, fetched);
            await SubscribeAsync(topic);
        }

        return fetched;
    }

    /// <summary>Re-reads a route now (after a broker said the client's route is stale).</summary>
    public async Task<TopicRoute?> RefreshAsync(string topic)
    {
        var fetched = await _client.GetGrain<ITopicRouteGrain>(topic).GetRouteAsync();
        Apply(topic, fetched);
        return fetched;
    }

    Task ITopicRouteObserver.OnRouteChanged(string topic, TopicRoute? route)
    {
        Apply(topic, route);
        return Task.CompletedTask;
    }

    private async Task<TopicRoute> FetchForSendAsync(string topic)
    {
        var route = await _client.GetGrain<ITopicRouteGrain>(topic).GetRouteForSendAsync();
        Apply(topic, route);
        await SubscribeAsync(topic);
        return _routes.TryGetValue(topic, out var newest) ? newest : route;
    }

    private void Apply(string topic, TopicRoute? route)
    {
        // Changes are rare; serialize them so an older version can never overwrite a newer one.
        lock (_gate)
        {
            var cached = _routes.TryGetValue(topic, out var current);
            if (route is null)
            {
                if (!cached)
                {
                    return;
                }

                _routes.TryRemove(topic, out _);
            }
            else
            {
                if (cached && route.Version <= current!.Version)
                {
                    return;
                }

                _routes[topic] = route;
            }
        }

        LogRouteChanged(topic, route?.Version ?? -1, route?.Queues.Length ?? 0);
        RouteChanged?.Invoke(topic, route);
    }

    private async Task SubscribeAsync(string topic)
    {
        if (_subscribed.TryAdd(topic, 0))
        {
            try
            {
                await _client.GetGrain<ITopicRouteGrain>(topic).SubscribeAsync(_reference);
            }
            catch
            {
                _subscribed.TryRemove(topic, out _);
                throw;
            }
        }
    }

    private async Task RenewAsync()
    {
        foreach (var topic in _subscribed.Keys)
        {
            try
            {
                var grain = _client.GetGrain<ITopicRouteGrain>(topic);
                await grain.SubscribeAsync(_reference);
                Apply(topic, await grain.GetRouteAsync());
            }
            catch (Exception e) when (Volatile.Read(ref _disposed) == 0)
            {
                LogRenewFailed(topic, e);
            }
            catch
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _renewTimer.DisposeAsync();
        foreach (var topic in _subscribed.Keys)
        {
            try
            {
                await _client.GetGrain<ITopicRouteGrain>(topic).UnsubscribeAsync(_reference);
            }
            catch (Exception e)
            {
                LogRenewFailed(topic, e);
            }
        }

        _client.DeleteObjectReference<ITopicRouteObserver>(_reference);
    }

    [LoggerMessage(1, LogLevel.Debug, "Route of {Topic} is now version {Version} with {QueueCount} queues")]
    private partial void LogRouteChanged(string topic, long version, int queueCount);

    [LoggerMessage(2, LogLevel.Warning, "Renewing the route subscription of {Topic} failed")]
    private partial void LogRenewFailed(string topic, Exception exception);
}
