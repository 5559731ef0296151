using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace OrleansMq.Silo.Health;

/// <summary>
/// <c>GET /health</c>: 200 when this silo is an active cluster member (it accepts client and grain calls), else 503.
/// The body names the broker, the silo address and its status. Used by docker-compose health checks,
/// <c>scripts/cluster.sh</c> and the process tests.
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
        return endpoints;
    }

    /// <summary>The health response body.</summary>
    internal sealed record HealthReport(string Status, string Broker, string Silo);
}
