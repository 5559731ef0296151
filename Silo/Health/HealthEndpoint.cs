using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansMq.Grains.Diagnostics;

namespace OrleansMq.Silo.Health;

/// <summary>
/// Health endpoints on the HTTP port:
/// <list type="bullet">
/// <item><c>GET /health</c>: 200 when this silo is an active cluster member (it accepts client and grain calls), else
/// 503; the body names the broker, the silo address and its status. Used by docker-compose health checks,
/// <c>scripts/cluster.sh</c> and the process tests.</item>
/// <item><c>GET /health/live</c>: 200 while the process serves HTTP (a liveness probe: restart when it fails).</item>
/// <item><c>GET /health/ready</c>: 200 when the broker can take traffic — silo active, message store open, disk not
/// full, membership agrees this silo is active — else 503; the body lists each check (a readiness probe).</item>
/// </list>
/// </summary>
internal static class HealthEndpoint
{
    public const string Path = "/health";

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, (ISiloStatusOracle oracle, IOptions<SiloOptions> silo) =>
        {
            var status = oracle.CurrentStatus;
            var body = new HealthReport(status.ToString(), silo.Value.SiloName, oracle.SiloAddress.ToString());
            return status == SiloStatus.Active ? Results.Ok(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        endpoints.MapGet(Path + "/live", (IOptions<SiloOptions> silo, ISiloStatusOracle oracle) =>
            Results.Ok(new LivenessReport("Live", silo.Value.SiloName, oracle.CurrentStatus.ToString())));
        endpoints.MapGet(Path + "/ready", (ISiloStatusOracle oracle, IClusterMembershipService membership, BrokerHealth broker) =>
        {
            var report = CheckReadiness(oracle, membership, broker);
            return report.Ready ? Results.Ok(report) : Results.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }

    internal static ReadinessReport CheckReadiness(ISiloStatusOracle oracle, IClusterMembershipService membership, BrokerHealth broker)
    {
        var checks = new List<ReadinessCheck>(4);
        var status = oracle.CurrentStatus;
        checks.Add(new ReadinessCheck("silo", status == SiloStatus.Active, $"silo {oracle.SiloAddress} is {status}"));

        var store = broker.GetStoreStatus();
        checks.Add(new ReadinessCheck("store", store is not null, store is null ? "the message store is not open" : $"open; commit log at {store.WrittenPosition} bytes, durable at {store.DurablePosition}"));
        checks.Add(store is null
            ? new ReadinessCheck("disk", false, "unknown: the message store is not open")
            : new ReadinessCheck(
                "disk",
                !store.IsDiskFull,
                $"{Bytes(store.DiskFreeBytes)} free of {Bytes(store.DiskTotalBytes)}; sends are refused below {Bytes(broker.MinFreeDiskBytes)}{(store.IsDiskFull ? " (disk full)" : "")}"));

        var snapshot = membership.CurrentSnapshot;
        var self = snapshot.GetSiloStatus(oracle.SiloAddress);
        var active = 0;
        foreach (var member in snapshot.Members.Values)
        {
            active += member.Status == SiloStatus.Active ? 1 : 0;
        }

        checks.Add(new ReadinessCheck("membership", self == SiloStatus.Active, $"membership version {snapshot.Version} lists this silo as {self}; {active} active silo(s)"));
        var ready = checks.TrueForAll(c => c.Ok);
        return new ReadinessReport(ready ? "Ready" : "NotReady", ready, broker.BrokerName, oracle.SiloAddress.ToString(), [.. checks]);
    }

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        _ => $"{bytes / 1024.0:0.0} KiB",
    };

    /// <summary>The <c>/health</c> response body.</summary>
    internal sealed record HealthReport(string Status, string Broker, string Silo);

    /// <summary>The <c>/health/live</c> response body.</summary>
    internal sealed record LivenessReport(string Status, string Broker, string SiloStatus);

    /// <summary>The <c>/health/ready</c> response body.</summary>
    internal sealed record ReadinessReport(string Status, bool Ready, string Broker, string Silo, ReadinessCheck[] Checks);

    /// <summary>One readiness check.</summary>
    internal sealed record ReadinessCheck(string Name, bool Ok, string Detail);
}
