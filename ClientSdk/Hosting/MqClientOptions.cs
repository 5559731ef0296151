using System.Net;

namespace OrleansMq.Client.Hosting;

/// <summary>How a client finds and talks to the cluster (configuration section <c>OrleansMq:Client</c>).</summary>
public sealed class MqClientOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "OrleansMq:Client";

    /// <summary>The gateway of an embedded broker, the default of <see cref="Gateways"/>.</summary>
    public const string DefaultGateway = "127.0.0.1:30000";

    /// <summary>Gateway endpoints (<c>host:port</c>). Default the embedded broker, <c>127.0.0.1:30000</c>. Not used when <see cref="ConnectionString"/> is set.</summary>
    public IList<string> Gateways { get; set; } = [DefaultGateway];

    /// <summary>
    /// PostgreSQL connection string of a cluster in cluster mode. When set, the client reads the gateways of the cluster's
    /// active brokers from its membership table (again every minute, so brokers that join are used) instead of using
    /// <see cref="Gateways"/>. Default null: the static gateway list.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>Cluster id; must match the brokers'. Default <c>orleansmq</c>.</summary>
    public string ClusterId { get; set; } = "orleansmq";

    /// <summary>Service id; must match the brokers'. Default <c>orleansmq</c>.</summary>
    public string ServiceId { get; set; } = "orleansmq";

    /// <summary>Longest any call may take before it fails with a timeout (pull waits stay below it). Default 30 s.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to keep trying to reach a gateway when connecting. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Returns the problems with these options, naming each option and what is allowed.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!string.IsNullOrWhiteSpace(ConnectionString))
        {
            if (PostgresGatewayDiscovery.Validate(ConnectionString) is { } invalid)
            {
                errors.Add(invalid);
            }

            if (Gateways is { Count: > 0 } && !(Gateways.Count == 1 && Gateways[0] == DefaultGateway))
            {
                errors.Add("MqClientOptions.Gateways and MqClientOptions.ConnectionString are both set; give the static gateway list or the cluster's PostgreSQL database, not both.");
            }
        }
        else if (Gateways is null || Gateways.Count == 0)
        {
            errors.Add("MqClientOptions.Gateways is empty; give at least one gateway as host:port (the broker's gateway port, default 30000), or MqClientOptions.ConnectionString of a cluster's PostgreSQL database.");
        }
        else
        {
            foreach (var gateway in Gateways)
            {
                if (!TryParseEndPoint(gateway, out _))
                {
                    errors.Add($"MqClientOptions.Gateways has '{gateway}', which is not host:port with a port between 1 and 65535.");
                }
            }
        }

        if (string.IsNullOrWhiteSpace(ClusterId))
        {
            errors.Add("MqClientOptions.ClusterId is empty; it must match the brokers' cluster id (default 'orleansmq').");
        }

        if (string.IsNullOrWhiteSpace(ServiceId))
        {
            errors.Add("MqClientOptions.ServiceId is empty; it must match the brokers' service id (default 'orleansmq').");
        }

        if (ResponseTimeout < TimeSpan.FromSeconds(1) || ResponseTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"MqClientOptions.ResponseTimeout is {ResponseTimeout}; it must be between 00:00:01 and 00:10:00.");
        }

        if (ConnectTimeout < TimeSpan.Zero || ConnectTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"MqClientOptions.ConnectTimeout is {ConnectTimeout}; it must be between 00:00:00 and 01:00:00.");
        }

        return errors;
    }

    /// <summary>The gateway endpoints, resolved.</summary>
    internal IReadOnlyList<IPEndPoint> ResolveGateways()
    {
        var result = new List<IPEndPoint>(Gateways.Count);
        foreach (var gateway in Gateways)
        {
            if (!TryParseEndPoint(gateway, out var endPoint))
            {
                throw new ArgumentException($"Gateway '{gateway}' is not host:port.");
            }

            result.Add(endPoint);
        }

        return result;
    }

    private static bool TryParseEndPoint(string? text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (IPEndPoint.TryParse(text, out var parsed) && parsed.Port > 0)
        {
            endPoint = parsed;
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        try
        {
            var addresses = Dns.GetHostAddresses(text[..colon]);
            var address = Array.Find(addresses, a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? (addresses.Length > 0 ? addresses[0] : null);
            if (address is null)
            {
                return false;
            }

            endPoint = new IPEndPoint(address, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
