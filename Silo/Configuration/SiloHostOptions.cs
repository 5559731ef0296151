using System.Net;
using System.Net.Sockets;
using OrleansMq.Grains.Errors;
using OrleansMq.Silo.Cluster;

namespace OrleansMq.Silo.Configuration;

/// <summary>Host settings of a broker silo (configuration section <c>OrleansMq:Host</c>).</summary>
public sealed class SiloHostOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "OrleansMq:Host";

    /// <summary>
    /// Configuration section bound to Orleans' <c>ClusterMembershipOptions</c> (failure detection: <c>ProbeTimeout</c>,
    /// <c>NumMissedProbesLimit</c>, …), see docs/cluster.md.
    /// </summary>
    public const string MembershipSectionName = "OrleansMq:Membership";

    private const int MinDirectoryCacheSize = 1_000;
    private const int MaxDirectoryCacheSize = 10_000_000;

    /// <summary>Cluster mode. Default <see cref="ClusterMode.Embedded"/>.</summary>
    public ClusterMode Mode { get; set; } = ClusterMode.Embedded;

    /// <summary>Cluster id shared by the silos and clients of one cluster. Default <c>orleansmq</c>.</summary>
    public string ClusterId { get; set; } = "orleansmq";

    /// <summary>Service id: the identity of the deployment's durable state. Default <c>orleansmq</c>.</summary>
    public string ServiceId { get; set; } = "orleansmq";

    /// <summary>
    /// Address to listen on and advertise to other silos and clients: an IP address, or a host name resolved to its
    /// first IPv4 address at start (e.g. a docker-compose service name). Default <c>127.0.0.1</c>.
    /// </summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>
    /// Listen on all interfaces (silo, gateway and HTTP ports) while advertising <see cref="Address"/>; for containers,
    /// where the advertised address is the container's and health checks connect to 127.0.0.1. Default false.
    /// </summary>
    public bool ListenOnAnyAddress { get; set; }

    /// <summary>Silo-to-silo port. Default 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port. Default 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>HTTP port of the dashboard, console, metrics and health endpoints. Default 8080.</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>PostgreSQL connection string (cluster mode <see cref="ClusterMode.Postgres"/>).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Entries of Orleans' grain directory cache (where each grain's activation lives). Default 100,000: a broker has
    /// a few grains per queue and consumer group. Orleans' own default, 1,000,000, costs a walk over a million empty
    /// slots whenever its size gauge is read (every second while the dashboard runs; docs/benchmarks.md).
    /// </summary>
    public int DirectoryCacheSize { get; set; } = 100_000;

    /// <summary>Returns the problems, each naming the option, its value and what is allowed.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Mode))
        {
            errors.Add($"OrleansMq:Host:Mode is {Mode}; allowed are Embedded and Postgres.");
        }

        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            errors.Add("OrleansMq:Host:ClusterId is empty; give the cluster id shared by silos and clients.");
        }

        if (string.IsNullOrWhiteSpace(ServiceId))
        {
            errors.Add("OrleansMq:Host:ServiceId is empty; give the service id shared by silos and clients.");
        }

        if (string.IsNullOrWhiteSpace(Address) || Uri.CheckHostName(Address) == UriHostNameType.Unknown)
        {
            errors.Add($"OrleansMq:Host:Address is '{Address}'; give an IP address such as 127.0.0.1 or a host name.");
        }

        if (DirectoryCacheSize is < MinDirectoryCacheSize or > MaxDirectoryCacheSize)
        {
            errors.Add($"OrleansMq:Host:DirectoryCacheSize is {DirectoryCacheSize}; it must be between {MinDirectoryCacheSize:N0} and {MaxDirectoryCacheSize:N0}.");
        }

        CheckPort(errors, "SiloPort", SiloPort);
        CheckPort(errors, "GatewayPort", GatewayPort);
        CheckPort(errors, "HttpPort", HttpPort);
        if (SiloPort == GatewayPort || SiloPort == HttpPort || GatewayPort == HttpPort)
        {
            errors.Add($"OrleansMq:Host ports must differ: SiloPort {SiloPort}, GatewayPort {GatewayPort}, HttpPort {HttpPort}.");
        }

        if (Mode == ClusterMode.Postgres && string.IsNullOrWhiteSpace(ConnectionString))
        {
            errors.Add("OrleansMq:Host:ConnectionString is empty but Mode is Postgres; give a connection string such as 'Host=127.0.0.1;Port=5432;Database=orleansmq;Username=orleansmq;Password=…' (--connection).");
        }
        else if (Mode == ClusterMode.Postgres && PostgresConnection.Validate(ConnectionString, "OrleansMq:Host:ConnectionString") is { } invalid)
        {
            errors.Add(invalid + " (--connection)");
        }

        return errors;
    }

    /// <summary>The address to advertise: <see cref="Address"/> itself, or the first IPv4 address its host name resolves to.</summary>
    /// <exception cref="OrleansMqException">The host name does not resolve.</exception>
    public IPAddress ResolveAddress()
    {
        if (IPAddress.TryParse(Address, out var address))
        {
            return address;
        }

        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(Address);
        }
        catch (SocketException e)
        {
            throw new OrleansMqException($"OrleansMq:Host:Address '{Address}' does not resolve: {e.Message}. Give an IP address or a resolvable host name (--address).", e);
        }

        return Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? (addresses.Length > 0 ? addresses[0] : throw new OrleansMqException($"OrleansMq:Host:Address '{Address}' resolves to no address (--address)."));
    }

    private static void CheckPort(List<string> errors, string name, int port)
    {
        if (port is < 1 or > 65535)
        {
            errors.Add($"OrleansMq:Host:{name} is {port}; it must be between 1 and 65535.");
        }
    }
}
