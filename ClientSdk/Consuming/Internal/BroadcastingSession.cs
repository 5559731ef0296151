using Microsoft.Extensions.Logging;
using OrleansMq.Client.Messages;
using OrleansMq.Client.Routing;
using OrleansMq.Grains;
using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Client.Consuming.Internal;

/// <summary>
/// Broadcasting: this consumer reads every queue of its topics, keeps its offsets in a local file, and follows route
/// changes itself. It still registers with the group so operators see it, but takes no assignment.
/// </summary>
internal sealed partial class BroadcastingSession : ConsumerSession
{
    private readonly RouteCache _routes;
    private readonly LocalOffsetStore _offsets;
    private readonly IConsumerGroupGrain _group;
    private readonly string _clientId;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _control = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private string? _memberId;
    private TimeSpan _heartbeatInterval = TimeSpan.FromSeconds(10);
    private Task _background = Task.CompletedTask;

    public BroadcastingSession(ConsumeEngine engine, IReadOnlyDictionary<string, FilterExpression> subscriptions, RouteCache routes, string clientId, string offsetFile)
        : base(engine, subscriptions)
    {
        _routes = routes;
        _offsets = new LocalOffsetStore(offsetFile);
        _group = engine.Client.GetGrain<IConsumerGroupGrain>(engine.Options.ConsumerGroup);
        _clientId = clientId;
        _logger = engine.Logger;
    }

    public string OffsetFile => _offsets.Path;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _offsets.Load();
        await RegisterAsync();
        _routes.RouteChanged += OnRouteChanged;
        foreach (var topic in Subscriptions.Keys)
        {
            await SyncTopicAsync(topic, await _routes.GetAsync(topic));
        }

        _background = BackgroundLoopAsync();
    }

    private async Task RegisterAsync()
    {
        var subscriptions = Subscriptions.Select(s => new Subscription(s.Key, s.Value)).ToArray();
        var assignment = await _group.RegisterAsync(new MemberRegistration(_clientId, subscriptions, ConsumeMode.Broadcasting, Options.AllocationStrategy, null));
        _memberId = assignment.MemberId;
        _heartbeatInterval = assignment.HeartbeatInterval;
    }

    private void OnRouteChanged(string topic, TopicRoute? route)
    {
        if (Subscriptions.ContainsKey(topic))
        {
            _ = SyncSafelyAsync(topic, route);
        }
    }

    private async Task SyncSafelyAsync(string topic, TopicRoute? route)
    {
        try
        {
            await SyncTopicAsync(topic, route);
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            LogSyncFailed(Options.ConsumerGroup, topic, e);
        }
    }

    /// <summary>Runs a queue consumer for every queue of the topic's route (new queues start, vanished ones stop).</summary>
    private async Task SyncTopicAsync(string topic, TopicRoute? route)
    {
        await _control.WaitAsync();
        try
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            var wanted = route is { IsReadable: true } ? route.Queues.ToDictionary(q => q.QueueId) : [];
            foreach (var (key, queue) in Queues)
            {
                if (key.Topic == topic && (!wanted.TryGetValue(key.QueueId, out var q) || q.Broker != queue.Queue.Broker))
                {
                    Queues.TryRemove(key, out _);
                    _offsets.Set(topic, key.QueueId, await queue.StopAsync(Options.ReleaseTimeout));
                }
            }

            foreach (var queueRoute in wanted.Values)
            {
                if (Queues.ContainsKey((topic, queueRoute.QueueId)))
                {
                    continue;
                }

                var queue = new MessageQueue(topic, queueRoute.Broker, queueRoute.QueueId);
                var offset = _offsets.Get(topic, queueRoute.QueueId);
                if (offset < 0)
                {
                    offset = await ResolveStartOffsetAsync(queue, _started);
                    _offsets.Set(topic, queueRoute.QueueId, offset);
                }

                StartQueue(queue, lease: -1, offset);
            }

            _offsets.Save();
        }
        finally
        {
            _control.Release();
        }
    }

    /// <summary>Saves offsets every commit interval and heartbeats the group for visibility.</summary>
    private async Task BackgroundLoopAsync()
    {
        var lastHeartbeat = Environment.TickCount64;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Options.CommitInterval < _heartbeatInterval ? Options.CommitInterval : _heartbeatInterval, _stop.Token);
                SaveOffsets();
                if (TimeSpan.FromMilliseconds(Environment.TickCount64 - lastHeartbeat) >= _heartbeatInterval)
                {
                    lastHeartbeat = Environment.TickCount64;
                    if (await _group.HeartbeatAsync(_memberId!) is null)
                    {
                        await RegisterAsync();
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogBackgroundFailed(Options.ConsumerGroup, e.Message);
            }
        }
    }

    private void SaveOffsets()
    {
        foreach (var queue in Queues.Values)
        {
            var offset = queue.ProcessQueue.CommittableOffset;
            if (offset >= 0)
            {
                _offsets.Set(queue.Queue.Topic, queue.Queue.QueueId, offset);
            }
        }

        _offsets.Save();
    }

    public override async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _routes.RouteChanged -= OnRouteChanged;
        await _stop.CancelAsync();
        try
        {
            await _background;
        }
        catch (OperationCanceledException)
        {
        }

        await _control.WaitAsync();
        try
        {
            foreach (var queue in Queues.Values)
            {
                _offsets.Set(queue.Queue.Topic, queue.Queue.QueueId, await queue.StopAsync(Options.ReleaseTimeout));
            }

            Queues.Clear();
            _offsets.Save();
            if (_memberId is not null)
            {
                await _group.UnregisterAsync(_memberId, []);
            }
        }
        catch (Exception e)
        {
            LogBackgroundFailed(Options.ConsumerGroup, e.Message);
        }
        finally
        {
            _control.Release();
        }
    }

    public override async Task AbandonAsync()
    {
        _routes.RouteChanged -= OnRouteChanged;
        await _stop.CancelAsync();
        var queues = Queues.Values.ToList();
        Queues.Clear();
        await StopAllAsync(queues, TimeSpan.Zero);
    }

    [LoggerMessage(1, LogLevel.Warning, "Broadcasting consumer of {Group}: following the route of {Topic} failed")]
    private partial void LogSyncFailed(string group, string topic, Exception exception);

    [LoggerMessage(2, LogLevel.Warning, "Broadcasting consumer of {Group}: {Reason}")]
    private partial void LogBackgroundFailed(string group, string reason);
}
