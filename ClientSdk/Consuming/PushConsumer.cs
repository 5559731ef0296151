using Microsoft.Extensions.Logging;
using OrleansMq.Client.Consuming.Internal;
using OrleansMq.Client.Messages;
using OrleansMq.Client.Routing;
using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Naming;

namespace OrleansMq.Client.Consuming;

/// <summary>
/// Consumes subscribed topics as a member of a consumer group and calls a listener (RocketMQ DefaultMQPushConsumer):
/// a long-polling pull loop per queue, a bounded cache per queue with pull suspension, a concurrent worker pool or
/// per-queue orderly consumption, periodic offset commits and a graceful stop that commits.
/// </summary>
/// <remarks>
/// In clustering mode the group grain decides which queues this member consumes and moves a queue only after its
/// previous holder finished and committed (or expired), so without failures every message is consumed exactly once;
/// after a crash, messages since the last commit are consumed again (at-least-once). A message the listener fails is
/// delivered again later, never dropped. Configure with <see cref="Subscribe(string, string)"/> and
/// <c>RegisterMessageListener</c> before <see cref="StartAsync"/>; not thread-safe until started.
/// </remarks>
public sealed class PushConsumer : IAsyncDisposable
{
    private readonly IClusterClient _client;
    private readonly RouteCache _routes;
    private readonly ILogger _logger;
    private readonly Dictionary<string, FilterExpression> _subscriptions = new(StringComparer.Ordinal);
    private MessageListenerConcurrently? _concurrently;
    private MessageListenerOrderly? _orderly;
    private ConsumeEngine? _engine;
    private ConsumerSession? _session;

    internal PushConsumer(IClusterClient client, RouteCache routes, PushConsumerOptions options, ILogger logger)
    {
        if (options.Validate() is { Count: > 0 } errors)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        _client = client;
        _routes = routes;
        Options = options;
        _logger = logger;
    }

    /// <summary>The consumer's settings.</summary>
    public PushConsumerOptions Options { get; }

    /// <summary>The queues this consumer is consuming now.</summary>
    public IReadOnlyCollection<MessageQueue> AssignedQueues => _session?.AssignedQueues ?? [];

    /// <summary>This consumer's member id in its group while it is a clustering member.</summary>
    public string? MemberId => (_session as ClusteringSession)?.MemberId;

    /// <summary>Subscribes to a topic with a tag expression (<c>*</c>, <c>TagA || TagB</c>).</summary>
    /// <exception cref="ArgumentException">Invalid topic name or malformed tag expression (the message gives the position).</exception>
    public void Subscribe(string topic, string tagExpression = "*") => Subscribe(topic, FilterExpression.Tags(tagExpression));

    /// <summary>
    /// Subscribes to a topic with a tag or SQL92 filter (<see cref="FilterExpression.Sql"/>), checked here with the
    /// broker's compiler; the broker checks it again when the consumer starts.
    /// </summary>
    /// <exception cref="ArgumentException">Invalid topic name or malformed filter (the message gives the position and what is allowed).</exception>
    public void Subscribe(string topic, FilterExpression filter)
    {
        ThrowIfStarted();
        if (NameValidator.ValidateTopic(topic, allowSystem: true) is { } error)
        {
            throw new ArgumentException(error, nameof(topic));
        }

        ArgumentNullException.ThrowIfNull(filter);
        FilterValidator.Validate(filter, nameof(filter));
        _subscriptions[topic] = filter;
    }

    /// <summary>Sets a concurrent listener.</summary>
    public void RegisterMessageListener(MessageListenerConcurrently listener)
    {
        ThrowIfStarted();
        _concurrently = listener ?? throw new ArgumentNullException(nameof(listener));
        _orderly = null;
    }

    /// <summary>Sets an orderly listener.</summary>
    public void RegisterMessageListener(MessageListenerOrderly listener)
    {
        ThrowIfStarted();
        _orderly = listener ?? throw new ArgumentNullException(nameof(listener));
        _concurrently = null;
    }

    /// <summary>Joins the group and starts consuming.</summary>
    /// <exception cref="InvalidOperationException">No subscription or no listener.</exception>
    /// <exception cref="Grains.Errors.InvalidRequestException">The group refused the registration (malformed filter, mode or strategy mismatch).</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfStarted();
        if (_subscriptions.Count == 0)
        {
            throw new InvalidOperationException($"Consumer of group '{Options.ConsumerGroup}' has no subscription; call Subscribe before StartAsync.");
        }

        if (_concurrently is null && _orderly is null)
        {
            throw new InvalidOperationException($"Consumer of group '{Options.ConsumerGroup}' has no listener; call RegisterMessageListener before StartAsync.");
        }

        if (Options.Mode == ConsumeMode.Clustering)
        {
            // Failed messages come back through the group's retry topic: every clustering member consumes it.
            _subscriptions.TryAdd(SystemTopics.Retry(Options.ConsumerGroup), FilterExpression.All);
        }

        var clientId = $"{Environment.MachineName}@{Environment.ProcessId}@{Options.InstanceName}";
        _engine = new ConsumeEngine(_client, Options, _concurrently, _orderly, _logger);
        _session = Options.Mode == ConsumeMode.Clustering
            ? new ClusteringSession(_engine, _subscriptions, clientId)
            : new BroadcastingSession(_engine, _subscriptions, _routes, clientId, OffsetFilePath());
        try
        {
            await _session.StartAsync(cancellationToken);
        }
        catch
        {
            await _session.AbandonAsync();
            await _engine.DisposeAsync();
            _session = null;
            _engine = null;
            throw;
        }
    }

    /// <summary>Stops pulling, lets cached messages finish (bounded by <see cref="PushConsumerOptions.ReleaseTimeout"/>), commits and leaves the group.</summary>
    public async ValueTask DisposeAsync()
    {
        var (session, engine) = (_session, _engine);
        (_session, _engine) = (null, null);
        if (session is not null)
        {
            await session.DisposeAsync();
        }

        if (engine is not null)
        {
            await engine.DisposeAsync();
        }
    }

    /// <summary>Stops at once without committing or leaving, as a killed process would (tests of failover).</summary>
    internal async Task AbandonAsync()
    {
        var (session, engine) = (_session, _engine);
        (_session, _engine) = (null, null);
        if (session is not null)
        {
            await session.AbandonAsync();
        }

        if (engine is not null)
        {
            await engine.DisposeAsync();
        }
    }

    private string OffsetFilePath()
    {
        var root = Options.OffsetStoreDirectory
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".orleansmq", "offsets");
        return Path.Combine(root, Options.ConsumerGroup, Options.InstanceName + ".json");
    }

    private void ThrowIfStarted()
    {
        if (_session is not null || _engine is not null)
        {
            throw new InvalidOperationException("The consumer is already started; subscriptions and listeners are set before StartAsync.");
        }
    }
}
