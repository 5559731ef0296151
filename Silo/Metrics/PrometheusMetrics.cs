using OpenTelemetry.Metrics;
using OrleansMq.Grains.Diagnostics;

namespace OrleansMq.Silo.Metrics;

/// <summary>
/// Exports the broker's meters (and Orleans' own, <c>Microsoft.Orleans</c>) in the Prometheus text format at
/// <see cref="Path"/>, through OpenTelemetry's ASP.NET Core exporter. Names become Prometheus names by OpenTelemetry's
/// rules: <c>orleansmq-storage-append-latency</c> (ms) → <c>orleansmq_storage_append_latency_milliseconds</c>,
/// counters get <c>_total</c>.
/// </summary>
/// <remarks>
/// Collection happens when Prometheus scrapes (observable instruments are read then); recording stays on the data path's
/// own instruments, which cost the same with or without an exporter listening.
/// </remarks>
internal static class PrometheusMetrics
{
    public const string Path = "/metrics";

    /// <summary>Orleans' own meter (messaging, activations, storage), also read by the dashboard.</summary>
    private const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>Bounds in ms for sub-millisecond appends and flushes up to slow disks (the default starts at 5 ms).</summary>
    private static readonly double[] LatencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500];

    /// <summary>Bounds in bytes for group commit sizes: 4 KiB … 64 MiB.</summary>
    private static readonly double[] ByteBuckets = [4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            foreach (var meter in MeterNames.All)
            {
                metrics.AddMeter(meter);
            }

            metrics.AddMeter(OrleansMeter)
                .AddView("orleansmq-storage-append-latency", new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets })
                .AddView("orleansmq-storage-flush-latency", new ExplicitBucketHistogramConfiguration { Boundaries = LatencyBuckets })
                .AddView("orleansmq-storage-flush-batch-size", new ExplicitBucketHistogramConfiguration { Boundaries = ByteBuckets })
                .AddPrometheusExporter();
        });
        return services;
    }

    public static IEndpointRouteBuilder MapPrometheusMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint(Path);
        return endpoints;
    }
}
