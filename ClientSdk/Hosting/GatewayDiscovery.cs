using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime.Membership;
using OrleansMq.Grains.Errors;

namespace OrleansMq.Client.Hosting;

/// <summary>
/// Where the client finds gateways, decided when the client starts from <see cref="MqClientOptions"/>: the cluster's
/// PostgreSQL membership table when <see cref="MqClientOptions.ConnectionString"/> is set (Orleans' ADO.NET gateway
/// list, active brokers only), else the static <see cref="MqClientOptions.Gateways"/>.
/// </summary>
/// <remarks>Thread-safe; Orleans calls it from its gateway manager.</remarks>
internal sealed class GatewayDiscovery : IGatewayListProvider
{
    private readonly IGatewayListProvider _inner;
    private readonly string? _database;

    public GatewayDiscovery(IServiceProvider services, IOptions<MqClientOptions> options, IOptions<GatewayOptions> gatewayOptions, IOptions<ClusterOptions> clusterOptions)
    {
        var mq = options.Value;
        if (string.IsNullOrWhiteSpace(mq.ConnectionString))
        {
            var list = new StaticGatewayListProviderOptions();
            foreach (var endPoint in mq.ResolveGateways())
            {
                list.Gateways.Add(endPoint.ToGatewayUri());
            }

            _inner = new StaticGatewayListProvider(Options.Create(list), gatewayOptions);
            return;
        }

        _database = PostgresGatewayDiscovery.Target(mq.ConnectionString);
        var loggerFactory = services.GetService(typeof(ILoggerFactory)) as ILoggerFactory ?? NullLoggerFactory.Instance;
        _inner = new AdoNetGatewayListProvider(
            loggerFactory.CreateLogger<AdoNetGatewayListProvider>(),
            services,
            Options.Create(new AdoNetClusteringClientOptions
            {
                Invariant = PostgresGatewayDiscovery.Invariant,
                ConnectionString = PostgresGatewayDiscovery.Normalize(mq.ConnectionString),
            }),
            gatewayOptions,
            clusterOptions);
    }

    public TimeSpan MaxStaleness => _inner.MaxStaleness;

    [Obsolete("Orleans considers every provider updatable.")]
    public bool IsUpdatable => true;

    public async Task InitializeGatewayListProvider()
    {
        try
        {
            await _inner.InitializeGatewayListProvider();
        }
        catch (Exception e) when (_database is not null && PostgresGatewayDiscovery.DescribeFailure(e) is { } reason)
        {
            throw new OrleansMqException($"Cannot read the cluster's gateways from PostgreSQL {_database}: {reason}", e);
        }
    }

    public Task<IList<Uri>> GetGateways() => _inner.GetGateways();
}
