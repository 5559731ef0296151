namespace OrleansMq.Silo.Configuration;

/// <summary>Short command-line switches and the configuration keys they set.</summary>
internal static class CommandLine
{
    public static readonly Dictionary<string, string> Switches = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--name"] = "OrleansMq:Broker:Name",
        ["--data"] = "OrleansMq:Broker:DataDirectory",
        ["--cluster"] = "OrleansMq:Host:Mode",
        ["--connection"] = "OrleansMq:Host:ConnectionString",
        ["--cluster-id"] = "OrleansMq:Host:ClusterId",
        ["--address"] = "OrleansMq:Host:Address",
        ["--silo-port"] = "OrleansMq:Host:SiloPort",
        ["--gateway-port"] = "OrleansMq:Host:GatewayPort",
        ["--http-port"] = "OrleansMq:Host:HttpPort",
        ["--flush"] = "OrleansMq:Storage:FlushPolicy",
    };

    public const string Usage = """
        usage: dotnet run --project Silo -- [options]
          --name <broker>         stable broker name (default: persisted in the data directory)
          --data <dir>            data directory (default ./data)
          --cluster <mode>        embedded (default) or postgres
          --connection <string>   PostgreSQL connection string (postgres mode)
          --cluster-id <id>       cluster id (default orleansmq)
          --address <ip|host>     listen/advertise address (default 127.0.0.1)
          --silo-port <port>      silo-to-silo port (default 11111)
          --gateway-port <port>   client gateway port (default 30000)
          --http-port <port>      dashboard, console, metrics and /health port (default 8080)
          --flush <policy>        sync (default) or async:<interval>, e.g. async:200ms
        Any key of appsettings.json can also be set as --Section:Key=value or ORLEANSMQ__SECTION__KEY.
        """;
}
