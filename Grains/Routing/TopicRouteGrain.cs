using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Utilities;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Hosting;
using OrleansMq.Grains.Naming;
using OrleansMq.Grains.Persistence;

namespace OrleansMq.Grains.Routing;

/// <summary>
/// The authority on one topic's route. Changes are persisted before anyone is told about them; then subscribed
/// clients and the topic's queue grains are notified, so producers see new queues without a polling delay.
/// </summary>
internal sealed partial class TopicRouteGrain(
    [PersistentState(StateStorage.TopicRoute, StateStorage.ProviderName)] IPersistentState<TopicRouteState> state,
    IOptions<BrokerOptions> options,
    TimeProvider timeProvider,
    ILogger<TopicRouteGrain> logger) : Grain, ITopicRouteGrain
{
    private static readonly TimeSpan ObserverExpiry = TimeSpan.FromMinutes(5);

    private readonly ObserverManager<ITopicRouteObserver> _observers = new(ObserverExpiry, logger);
    private TopicRoute? _route;

    private string Topic => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _route = BuildRoute(state.State);
        return Task.CompletedTask;
    }

    public Task<TopicRoute?> GetRouteAsync() => Task.FromResult(_route);

    public async Task<TopicRoute> GetRouteForSendAsync()
    {
        if (_route is { } route)
        {
            return route;
        }

        var settings = options.Value;
        if (!settings.AutoCreateTopics)
        {
            throw new TopicNotFoundException(Topic, "Auto-create is off on this broker; create the topic first (orleansmq topic create).");
        }

        if (NameValidator.ValidateTopic(Topic) is { } error)
        {
            throw new InvalidRequestException(error);
        }

        LogAutoCreate(Topic, settings.DefaultQueueCount);
        return await CreateCoreAsync(new TopicConfig(settings.DefaultQueueCount));
    }

    public async Task<TopicRoute> CreateAsync(TopicConfig config)
    {
        Validate(config);
        if (_route is not null)
        {
            throw new TopicExistsException(Topic);
        }

        return await CreateCoreAsync(config);
    }

    public async Task<TopicRoute> UpdateAsync(TopicConfig config)
    {
        Validate(config);
        var current = state.State;
        if (!current.Exists)
        {
            throw new TopicNotFoundException(Topic);
        }

        if (config.QueueCount < current.Brokers.Length)
        {
            throw new InvalidRequestException(
                $"Topic '{Topic}' has {current.Brokers.Length} queues; the queue count can grow but not shrink (asked for {config.QueueCount}).");
        }

        var brokers = config.QueueCount == current.Brokers.Length
            ? current.Brokers
            : await Registry.AllocateAsync(Topic, current.Brokers, config.QueueCount);
        return await CommitAsync(new TopicRouteState
        {
            Exists = true,
            Permission = config.Permission,
            Brokers = brokers,
            Version = current.Version + 1,
            CreatedAt = current.CreatedAt,
        });
    }

    public async Task<bool> DeleteAsync()
    {
        var current = state.State;
        if (!current.Exists)
        {
            return false;
        }

        foreach (var broker in current.Brokers.Distinct(StringComparer.Ordinal))
        {
            try
            {
                await GrainFactory.GetGrain<IBrokerGrain>(broker).DeleteTopicAsync(Topic);
            }
            catch (BrokerUnavailableException e)
            {
                // The route is the authority: once deleted, the stale queues on a dead broker are never routed to again.
                LogDeleteOnDeadBroker(Topic, broker, e.Message);
            }
        }

        await Registry.RemoveAsync(Topic);
        await CommitAsync(new TopicRouteState { Exists = false, Version = current.Version + 1 });
        return true;
    }

    public Task SubscribeAsync(ITopicRouteObserver observer)
    {
        _observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    public Task UnsubscribeAsync(ITopicRouteObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    private ITopicRegistryGrain Registry => GrainFactory.GetGrain<ITopicRegistryGrain>(0);

    private async Task<TopicRoute> CreateCoreAsync(TopicConfig config)
    {
        var brokers = await Registry.AllocateAsync(Topic, [], config.QueueCount);
        return await CommitAsync(new TopicRouteState
        {
            Exists = true,
            Permission = config.Permission,
            Brokers = brokers,
            Version = state.State.Version + 1,
            CreatedAt = timeProvider.GetUtcNow(),
        });
    }

    /// <summary>Persists the new state (restoring the old one if that fails), then tells everyone.</summary>
    private async Task<TopicRoute> CommitAsync(TopicRouteState next)
    {
        var previous = state.State;
        state.State = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State = previous;
            throw;
        }

        _route = BuildRoute(next);
        LogRouteChanged(Topic, next.Version, next.Brokers.Length, next.Exists);
        Notify(previous, next);
        return _route ?? new TopicRoute(Topic, next.Version, TopicPermission.None, []);
    }

    private void Notify(TopicRouteState previous, TopicRouteState next)
    {
        var route = _route;
        _observers.Notify(o => o.OnRouteChanged(Topic, route));

        // Queue grains cache the route for permission and ownership checks; tell every queue of the old and new route.
        var count = Math.Max(previous.Brokers.Length, next.Brokers.Length);
        for (var i = 0; i < count; i++)
        {
            var broker = i < next.Brokers.Length ? next.Brokers[i] : previous.Brokers[i];
            GrainFactory.GetGrain<IMessageQueueGrain>(new QueueKey(broker, Topic, i).ToString()).OnRouteChangedAsync(route).Ignore();
        }
    }

    private TopicRoute? BuildRoute(TopicRouteState s)
    {
        if (!s.Exists)
        {
            return null;
        }

        var queues = new QueueRoute[s.Brokers.Length];
        for (var i = 0; i < queues.Length; i++)
        {
            queues[i] = new QueueRoute(i, s.Brokers[i]);
        }

        return new TopicRoute(Topic, s.Version, s.Permission, queues);
    }

    private void Validate(TopicConfig config)
    {
        if (NameValidator.ValidateTopic(Topic, allowSystem: true) is { } nameError)
        {
            throw new InvalidRequestException(nameError);
        }

        if (config.Validate() is { } configError)
        {
            throw new InvalidRequestException(configError);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Auto-creating topic {Topic} with {QueueCount} queues")]
    private partial void LogAutoCreate(string topic, int queueCount);

    [LoggerMessage(2, LogLevel.Information, "Route of topic {Topic} is now version {Version}: {QueueCount} queues, exists={Exists}")]
    private partial void LogRouteChanged(string topic, long version, int queueCount, bool exists);

    [LoggerMessage(3, LogLevel.Warning, "Topic {Topic} deleted while broker {Broker} is down; its queues there stay on disk until retention: {Reason}")]
    private partial void LogDeleteOnDeadBroker(string topic, string broker, string reason);
}
