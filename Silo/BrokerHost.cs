using System.Net;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Hosting;
using OrleansMq.Hosting;
using OrleansMq.Silo.Cluster;
using OrleansMq.Silo.Configuration;
using OrleansMq.Silo.Operations;
using OrleansMq.Silo.Schema;
using OrleansMq.Storage;
using OrleansMq.Storage.Configuration;

namespace OrleansMq.Silo;

/// <summary>Builds the broker web application: the Orleans silo, the dashboard, the MQ console, metrics and health endpoints.</summary>
public static class BrokerHost
{
    /// <summary>Configuration section of the message store (<c>MessageStoreOptions</c>; <c>--flush</c> sets its FlushPolicy).</summary>
    public const string StorageSectionName = "OrleansMq:Storage";

    /// <summary>Builds the host from <c>appsettings.json</c>, environment variables (<c>OrleansMq__Broker__Name</c>) and command-line arguments.</summary>
    /// <exception cref="OptionsValidationException">A setting is invalid (each problem named).</exception>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(args, CommandLine.Switches);

        var host = builder.Configuration.GetSection(SiloHostOptions.SectionName).Get<SiloHostOptions>() ?? new SiloHostOptions();
        if (host.Validate() is { Count: > 0 } errors)
        {
            throw new OptionsValidationException(SiloHostOptions.SectionName, typeof(SiloHostOptions), errors);
        }

        // Bound now, not when the silo resolves them, so a malformed value ends the start with one line.
        var membership = builder.Configuration.GetSection(SiloHostOptions.MembershipSectionName);
        membership.Get<ClusterMembershipOptions>();
        builder.Configuration.GetSection(StorageSectionName).Get<MessageStoreOptions>();

        var dataDirectory = builder.Configuration[$"{BrokerOptions.SectionName}:{nameof(BrokerOptions.DataDirectory)}"] ?? new BrokerOptions().DataDirectory;
        var address = host.ResolveAddress();
        builder.WebHost.UseUrls($"http://{new IPEndPoint(host.ListenOnAnyAddress ? IPAddress.Any : address, host.HttpPort)}");
        builder.Services.AddOptions<BrokerOptions>().Bind(builder.Configuration.GetSection(BrokerOptions.SectionName));
        builder.Services.AddOptions<MessageStoreOptions>().Bind(builder.Configuration.GetSection(StorageSectionName));
        builder.Services.AddOptions<ConsumerGroupOptions>().Bind(builder.Configuration.GetSection(ConsumerGroupOptions.SectionName));
        builder.Services.AddOptions<TimerOptions>().Bind(builder.Configuration.GetSection(TimerOptions.SectionName));
        var operations = builder.AddOrleansMqOperations();

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = host.ClusterId;
                o.ServiceId = host.ServiceId;
            });
            switch (host.Mode)
            {
                case ClusterMode.Embedded:
                    silo.UseLocalhostClustering(host.SiloPort, host.GatewayPort, serviceId: host.ServiceId, clusterId: host.ClusterId);
                    silo.AddOrleansMqFileStateStorage(Path.Combine(dataDirectory, "state"));
                    break;
                case ClusterMode.Postgres:
                    silo.UsePostgresCluster(host, address);
                    break;
                default:
                    throw new OptionsValidationException(SiloHostOptions.SectionName, typeof(SiloHostOptions), [$"OrleansMq:Host:Mode {host.Mode} is not supported by this build."]);
            }

            silo.Services.AddOptions<ClusterMembershipOptions>().Bind(membership);
            silo.Configure<GrainDirectoryOptions>(o => o.CacheSize = host.DirectoryCacheSize);
            silo.AddOrleansMqBroker();
            silo.AddOrleansMqDashboard(operations);
        });

        var app = builder.Build();
        app.MapOrleansMqOperations();
        return app;
    }

    /// <summary>
    /// Work that must finish before the silo starts: in cluster mode, creates or upgrades the PostgreSQL schema, so an
    /// unreachable or misconfigured database ends the start here, with one line from <see cref="DescribeStartupFailure"/>.
    /// </summary>
    /// <exception cref="OrleansMqException">The database cannot be used (the message says why).</exception>
    public static async Task PrepareAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<PostgresSchemaGate>() is { } schema)
        {
            await schema.EnsureAsync(cancellationToken);
        }
    }

    /// <summary>A one-line explanation for failures a user can fix (bad settings, a busy or corrupt data directory), else null.</summary>
    public static string? DescribeStartupFailure(Exception exception) => exception switch
    {
        OptionsValidationException e => string.Join(" ", e.Failures),
        OrleansMqException e => e.Message,
        NpgsqlException e => "PostgreSQL: " + PostgresConnection.DescribeFailure(e),
        InvalidOperationException e when e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) =>
            e.InnerException is { } reason ? $"{e.Message} {reason.Message}" : e.Message,
        CorruptLogException e => e.Message,
        ArgumentException e when e.Message.Contains("Options", StringComparison.Ordinal) => e.Message,
        IOException e when e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) => e.Message + " (another process uses one of the configured ports; see --silo-port, --gateway-port, --http-port)",
        AggregateException { InnerExceptions.Count: 1 } e => DescribeStartupFailure(e.InnerExceptions[0]),
        { InnerException: { } inner } => DescribeStartupFailure(inner),
        _ => null,
    };
}
