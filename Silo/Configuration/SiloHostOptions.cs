namespace OrleansMq.Silo.Configuration;

/// <summary>Host settings of a broker silo (configuration section <c>OrleansMq:Host</c>).</summary>
public sealed class SiloHostOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "OrleansMq:Host";

    /// <summary>Cluster mode. Default <see cref="ClusterMode.Embedded"/>.</summary>
    public ClusterMode Mode { get; set; } = ClusterMode.Embedded;

    /// <summary>Cluster id shared by the silos and clients of one cluster. Default <c>orleansmq</c>.</summary>
    public string ClusterId { get; set; } = "orleansmq";

    /// <summary>Service id: the identity of the deployment's durable state. Default <c>orleansmq</c>.</summary>
    public string ServiceId { get; set; } = "orleansmq";

    /// <summary>Address to listen on and advertise to other silos. Default <c>127.0.0.1</c>.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Silo-to-silo port. Default 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port. Default 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>HTTP port of the dashboard, console, metrics and health endpoints. Default 8080.</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>PostgreSQL connection string (cluster mode <see cref="ClusterMode.Postgres"/>).</summary>
    public string? ConnectionString { get; set; }

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

        if (!System.Net.IPAddress.TryParse(Address, out _))
        {
            errors.Add($"OrleansMq:Host:Address is '{Address}'; give an IP address such as 127.0.0.1.");
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

        return errors;
    }

    private static void CheckPort(List<string> errors, string name, int port)
    {
        if (port is < 1 or > 65535)
        {
            errors.Add($"OrleansMq:Host:{name} is {port}; it must be between 1 and 65535.");
        }
    }
}
