using System.Net;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansMq.Grains.Persistence;
using OrleansMq.Silo.Configuration;
using OrleansMq.Silo.Schema;

namespace OrleansMq.Silo.Cluster;

/// <summary>Cluster mode <see cref="ClusterMode.Postgres"/>: membership and grain state in PostgreSQL.</summary>
internal static class PostgresClusterExtensions
{
    /// <summary>
    /// Advertises <paramref name="address"/> with the configured silo and gateway ports, keeps membership (and so the
    /// gateway list clients read) and the <see cref="StateStorage.ProviderName"/> grain state in PostgreSQL through the
    /// Orleans ADO.NET providers, and creates or upgrades the schema before they use it.
    /// </summary>
    public static ISiloBuilder UsePostgresCluster(this ISiloBuilder silo, SiloHostOptions host, IPAddress address)
    {
        var connectionString = PostgresConnection.Normalize(host.ConnectionString!, "orleansmq-silo");
        silo.ConfigureEndpoints(address, host.SiloPort, host.GatewayPort, listenOnAnyHostAddress: host.ListenOnAnyAddress);
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = PostgresConnection.Invariant;
            o.ConnectionString = connectionString;
        });
        silo.Services.AddPostgresGrainStorage(connectionString);
        silo.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<PostgresSchemaGate>(sp, connectionString));
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<PostgresSchemaGate>());
        return silo;
    }

    /// <summary>
    /// Registers the <see cref="StateStorage.ProviderName"/> grain storage: the Orleans ADO.NET provider on Npgsql with
    /// the Orleans binary serializer, behind <see cref="StringKeyedGrainStorage"/>.
    /// </summary>
    internal static IServiceCollection AddPostgresGrainStorage(this IServiceCollection services, string connectionString, Action<AdoNetGrainStorageOptions>? configure = null)
    {
        services.AddAdoNetGrainStorage(StateStorage.ProviderName, (OptionsBuilder<AdoNetGrainStorageOptions> options) =>
            options.Configure<Serializer>((o, serializer) =>
            {
                o.Invariant = PostgresConnection.Invariant;
                o.ConnectionString = connectionString;

                // The same binary format as embedded mode's files: compact, and versioned by the [Id]s of the state types.
                o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                configure?.Invoke(o);
            }));

        // Replaces the provider's keyed registration (the last one wins); its lifecycle registration resolves this one.
        services.AddKeyedSingleton<IGrainStorage>(StateStorage.ProviderName, (sp, key) =>
            new StringKeyedGrainStorage(AdoNetGrainStorageFactory.Create(sp, (string)key!)));
        return services;
    }
}
