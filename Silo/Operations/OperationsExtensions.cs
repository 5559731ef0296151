using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using OrleansMq.Silo.Console;
using OrleansMq.Silo.Health;
using OrleansMq.Silo.Metrics;

namespace OrleansMq.Silo.Operations;

/// <summary>
/// Registers and maps what operators use on the broker's HTTP port: health (always), the Orleans dashboard, the MQ
/// console with its JSON API, and Prometheus metrics (each switchable in <see cref="OperationsOptions"/>).
/// </summary>
internal static class OperationsExtensions
{
    /// <summary>Binds and validates <see cref="OperationsOptions"/> and registers the console and metrics services.</summary>
    /// <exception cref="OptionsValidationException">A setting is invalid.</exception>
    public static OperationsOptions AddOrleansMqOperations(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(OperationsOptions.SectionName);
        var options = section.Get<OperationsOptions>() ?? new OperationsOptions();
        if (options.Validate() is { Count: > 0 } errors)
        {
            throw new OptionsValidationException(OperationsOptions.SectionName, typeof(OperationsOptions), errors);
        }

        builder.Services.AddOptions<OperationsOptions>().Bind(section);
        builder.Services.TryAddSingleton(TimeProvider.System);
        if (options.Console)
        {
            builder.Services.AddSingleton<ConsoleAdmin>();
            builder.Services.AddSingleton<ConsoleApi>();
            builder.Services.AddSingleton<ConsoleSampler>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ConsoleSampler>());
        }

        if (options.Prometheus)
        {
            builder.Services.AddPrometheusMetrics();
        }

        return options;
    }

    /// <summary>Adds the Orleans dashboard to the silo when enabled.</summary>
    public static ISiloBuilder AddOrleansMqDashboard(this ISiloBuilder silo, OperationsOptions options)
    {
        if (options.Dashboard)
        {
            silo.AddDashboard();
            if (!options.DashboardProfiling)
            {
                RemoveDashboardProfiler(silo.Services);
            }
        }

        return silo;
    }

    /// <summary>
    /// Removes the dashboard's grain call filter. Any global incoming filter puts every grain call through Orleans'
    /// filter pipeline (an invoker and two async state machines per call); the dashboard offers no switch for it and
    /// the type is internal, hence the match by name.
    /// </summary>
    private static void RemoveDashboardProfiler(IServiceCollection services)
    {
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(IIncomingGrainCallFilter)
                && services[i].ImplementationType?.FullName == "Orleans.Dashboard.Implementation.GrainProfilerFilter")
            {
                services.RemoveAt(i);
            }
        }
    }

    /// <summary>Maps <c>/health</c>, <c>/health/live</c>, <c>/health/ready</c> and, when enabled, <c>/dashboard</c>, <c>/console</c> with <c>/api</c>, and <c>/metrics</c>.</summary>
    public static WebApplication MapOrleansMqOperations(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<OperationsOptions>>().Value;
        app.MapHealth();
        if (options.Dashboard)
        {
            app.MapOrleansDashboard(routePrefix: "/dashboard");
        }

        if (options.Console)
        {
            app.MapConsole();
        }

        if (options.Prometheus)
        {
            app.MapPrometheusMetrics();
        }

        var home = options.Console ? ConsoleEndpoints.PagePath + "/" : options.Dashboard ? "/dashboard/" : HealthEndpoint.Path;
        app.MapGet("/", () => Results.Redirect(home));
        return app;
    }
}
