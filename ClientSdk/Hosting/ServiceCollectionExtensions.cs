using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansMq.Client.Hosting;

/// <summary>Registers the OrleansMq client in an application's services.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="MqClient"/> as a singleton, with options bound from <c>OrleansMq:Client</c> and validated at
    /// start. When the application has no Orleans client yet, one is added and configured from those options;
    /// otherwise (a co-hosted silo, an existing client) that one is used.
    /// </summary>
    public static IServiceCollection AddOrleansMqClient(this IServiceCollection services, Action<MqClientOptions>? configure = null)
    {
        var options = services.AddOptions<MqClientOptions>().BindConfiguration(MqClientOptions.SectionName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MqClientOptions>, MqClientOptionsValidator>());
        if (!services.Any(d => d.ServiceType == typeof(IClusterClient)))
        {
            services.AddOrleansClient(OrleansClientConfigurator.Configure);
        }

        services.TryAddSingleton(sp => MqClient.Create(sp.GetRequiredService<IClusterClient>(), sp.GetService<ILoggerFactory>()));
        return services;
    }

    /// <summary>Same as <see cref="AddOrleansMqClient(IServiceCollection, Action{MqClientOptions}?)"/> on a host builder.</summary>
    public static IHostApplicationBuilder AddOrleansMqClient(this IHostApplicationBuilder builder, Action<MqClientOptions>? configure = null)
    {
        builder.Services.AddOrleansMqClient(configure);
        return builder;
    }
}
