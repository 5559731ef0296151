using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansMq.Client.Admin;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Producing;
using OrleansMq.Client.Routing;
using OrleansMq.Client.Transactions;

namespace OrleansMq.Client.Hosting;

/// <summary>
/// The entry point of the SDK: a connection to the cluster that creates producers, consumers and the admin API.
/// Create one per process with <see cref="ConnectAsync"/> (owns its Orleans client) or from DI
/// (<see cref="ServiceCollectionExtensions.AddOrleansMqClient(IServiceCollection, Action{MqClientOptions}?)"/>), or wrap an existing <see cref="IClusterClient"/>
/// with <see cref="Create"/>.
/// </summary>
/// <remarks>Thread-safe. Producers and consumers share the client's connection and route cache.</remarks>
public sealed class MqClient : IAsyncDisposable
{
    private readonly IHost? _ownedHost;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Lazy<RouteCache> _routes;
    private int _disposed;

    private MqClient(IClusterClient client, IHost? ownedHost, ILoggerFactory? loggerFactory)
    {
        ClusterClient = client;
        _ownedHost = ownedHost;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _routes = new Lazy<RouteCache>(() => new RouteCache(client, _loggerFactory.CreateLogger<RouteCache>()));
        Admin = new MqAdmin(client);
    }

    /// <summary>The underlying Orleans client.</summary>
    public IClusterClient ClusterClient { get; }

    /// <summary>Administration API.</summary>
    public MqAdmin Admin { get; }

    internal RouteCache Routes => _routes.Value;

    /// <summary>Connects to the cluster described by <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">Invalid options (each problem named).</exception>
    /// <exception cref="Orleans.Runtime.OrleansException">No gateway answered within <see cref="MqClientOptions.ConnectTimeout"/>.</exception>
    public static async Task<MqClient> ConnectAsync(MqClientOptions? options = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        options ??= new MqClientOptions();
        if (options.Validate() is { Count: > 0 } errors)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (loggerFactory is not null)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        builder.Services.AddSingleton(Options.Create(options));
        builder.UseOrleansClient(OrleansClientConfigurator.Configure);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new MqClient(host.Services.GetRequiredService<IClusterClient>(), host, loggerFactory);
    }

    /// <summary>Wraps an Orleans client that someone else owns (a co-hosted silo, a test cluster, the app's own client).</summary>
    public static MqClient Create(IClusterClient client, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        return new MqClient(client, ownedHost: null, loggerFactory);
    }

    /// <summary>Creates a producer.</summary>
    /// <exception cref="ArgumentException">Invalid options.</exception>
    public Producer CreateProducer(ProducerOptions? options = null) =>
        new(ClusterClient, Routes, options ?? new ProducerOptions(), _loggerFactory.CreateLogger<Producer>());

    /// <summary>
    /// Creates a transaction producer in its own producer group (<see cref="ProducerOptions.ProducerGroup"/>); call
    /// <see cref="TransactionProducer.StartAsync"/> before sending.
    /// </summary>
    /// <exception cref="ArgumentNullException">No listener.</exception>
    /// <exception cref="ArgumentException">Invalid options, or the default producer group.</exception>
    public TransactionProducer CreateTransactionProducer(ProducerOptions options, ITransactionListener listener) =>
        new(ClusterClient, Routes, options, listener, _loggerFactory.CreateLogger<TransactionProducer>());

    /// <summary>Creates a pull consumer.</summary>
    public PullConsumer CreatePullConsumer(PullConsumerOptions? options = null) =>
        new(ClusterClient, Routes, options ?? new PullConsumerOptions(), _loggerFactory.CreateLogger<PullConsumer>());

    /// <summary>Creates a push consumer (set subscriptions and a listener, then start it).</summary>
    /// <exception cref="ArgumentException">Invalid options (e.g. no consumer group).</exception>
    public PushConsumer CreatePushConsumer(PushConsumerOptions options) =>
        new(ClusterClient, Routes, options, _loggerFactory.CreateLogger<PushConsumer>());

    /// <summary>Unsubscribes route observers and, when this client owns its connection, closes it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_routes.IsValueCreated)
        {
            await _routes.Value.DisposeAsync();
        }

        if (_ownedHost is not null)
        {
            await _ownedHost.StopAsync();
            _ownedHost.Dispose();
        }
    }
}
