using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansMq.Grains.Brokers;
using OrleansMq.Grains.Hosting;
using OrleansMq.Grains.Scheduling;

namespace OrleansMq.Grains.Diagnostics;

/// <summary>Registers the broker's instruments, the consumer lag collector and the health probe.</summary>
internal static class DiagnosticsRegistration
{
    public static IServiceCollection AddBrokerDiagnostics(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>());

        // The pending-timer gauge reads TimerService lazily: TimerService itself records deliveries here.
        services.TryAddSingleton(sp => new BrokerInstruments(
            sp.GetRequiredService<BrokerStore>(),
            () => sp.GetRequiredService<TimerService>().PendingCount,
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ConsumerInstruments>();
        services.TryAddSingleton<ConsumerLagCollector>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ConsumerLagCollector>());
        services.TryAddSingleton(sp => new BrokerHealth(sp.GetRequiredService<BrokerStore>()));
        return services;
    }
}
