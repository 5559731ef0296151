using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansMq.Grains.Brokers;
using OrleansMq.Grains.Diagnostics;
using OrleansMq.Grains.Hosting;
using OrleansMq.Grains.Networking;
using OrleansMq.Grains.Persistence;
using OrleansMq.Grains.Placement;
using OrleansMq.Grains.Scheduling;
using OrleansMq.Grains.Transactions;
using OrleansMq.Storage.Configuration;

namespace OrleansMq.Hosting;

/// <summary>Registers the OrleansMq broker in an Orleans silo.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>
    /// Makes this silo an OrleansMq broker: its local message store (opened in the silo lifecycle), queue placement
    /// next to that store, routing and registry grains. The silo name becomes the broker name.
    /// A grain storage provider named <see cref="StateStorage.ProviderName"/> must also be registered
    /// (<see cref="AddOrleansMqFileStateStorage"/> in embedded mode, ADO.NET in cluster mode).
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="configureBroker">Broker settings (also bound from <c>OrleansMq:Broker</c> by the host).</param>
    /// <param name="configureStore">Store settings; the directory defaults to <c>{DataDirectory}/store</c>.</param>
    public static ISiloBuilder AddOrleansMqBroker(
        this ISiloBuilder builder,
        Action<BrokerOptions>? configureBroker = null,
        Action<MessageStoreOptions>? configureStore = null)
    {
        var services = builder.Services;
        var broker = services.AddOptions<BrokerOptions>();
        if (configureBroker is not null)
        {
            broker.Configure(configureBroker);
        }

        broker.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerOptions>, BrokerOptionsValidator>());

        services.AddOptions<ConsumerGroupOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConsumerGroupOptions>, ConsumerGroupOptionsValidator>());

        var store = services.AddOptions<MessageStoreOptions>();
        if (configureStore is not null)
        {
            store.Configure(configureStore);
        }

        store.PostConfigure<IOptions<BrokerOptions>>((s, b) =>
        {
            if (string.IsNullOrEmpty(s.Directory))
            {
                s.Directory = Path.Combine(b.Value.DataDirectory, "store");
            }
        });

        // The broker name is the silo name: placement finds a queue's broker among cluster members by it.
        services.AddOptions<SiloOptions>().PostConfigure<IOptions<BrokerOptions>>((silo, b) =>
            silo.SiloName = BrokerIdentity.Resolve(b.Value.Name, b.Value.DataDirectory));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BrokerStore>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<BrokerStore>());
        services.AddBrokerDiagnostics();
        services.AddOptions<TimerOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TimerOptions>, TimerOptionsValidator>());
        services.TryAddSingleton(sp => new SchedulingClock(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<TimerService>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<TimerService>());
        services.AddOptions<TransactionOptions>().BindConfiguration(TransactionOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TransactionOptions>, TransactionOptionsValidator>());
        services.TryAddSingleton<TransactionService>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<TransactionService>());
        services.AddOptions<IdempotenceOptions>().BindConfiguration(IdempotenceOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IdempotenceOptions>, IdempotenceOptionsValidator>());
        services.TryAddSingleton<BrokerRegistration>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<BrokerRegistration>());
        builder.AddPlacementDirector<BrokerPinnedPlacement, BrokerPinnedPlacementDirector>();
        services.UseLargeTransportBuffers();
        return builder;
    }

    /// <summary>Keeps grain state (routes, registries, offsets) in files under <paramref name="directory"/> (embedded mode).</summary>
    public static ISiloBuilder AddOrleansMqFileStateStorage(this ISiloBuilder builder, string directory)
    {
        builder.Services.AddGrainStorage(StateStorage.ProviderName, (sp, name) => new FileGrainStorage(
            name,
            new FileGrainStorageOptions { Directory = directory },
            new OrleansGrainStorageSerializer(sp.GetRequiredService<Serializer>()),
            sp.GetRequiredService<ILogger<FileGrainStorage>>()));
        return builder;
    }
}
