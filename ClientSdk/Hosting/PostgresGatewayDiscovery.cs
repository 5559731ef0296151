using System.Net.Sockets;
using Npgsql;

namespace OrleansMq.Client.Hosting;

/// <summary>Connection strings and errors of gateway discovery in PostgreSQL, in terms a user configuring a client understands.</summary>
internal static class PostgresGatewayDiscovery
{
    /// <summary>The ADO.NET invariant name Orleans uses to load Npgsql.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>What is wrong with <paramref name="connectionString"/>, or null.</summary>
    public static string? Validate(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            return $"MqClientOptions.ConnectionString is not a valid PostgreSQL connection string: {e.Message}";
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            return "MqClientOptions.ConnectionString has no Host; give the cluster's PostgreSQL server, e.g. 'Host=127.0.0.1;Port=5432;Database=orleansmq;…'.";
        }

        return string.IsNullOrWhiteSpace(builder.Database)
            ? "MqClientOptions.ConnectionString has no Database; give the cluster's database, e.g. 'Database=orleansmq'."
            : null;
    }

    /// <summary>The connection string the client uses: an application name for <c>pg_stat_activity</c> unless one was given.</summary>
    public static string Normalize(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "orleansmq-client";
        }

        return builder.ConnectionString;
    }

    /// <summary><c>host:port/database (user x)</c>, without secrets.</summary>
    public static string Target(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database} (user {builder.Username ?? Environment.UserName})";
    }

    /// <summary>A one-line reason for a database failure; null for other exceptions.</summary>
    public static string? DescribeFailure(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.UndefinedTable } =>
            "the database has no OrleansMq schema; point the client at the database the brokers use (a broker creates the schema when it starts).",
        PostgresException e => $"{e.MessageText} (SQLSTATE {e.SqlState}).",
        NpgsqlException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } =>
            "connection refused; is PostgreSQL running and listening on that host and port?",
        NpgsqlException { InnerException: SocketException s } => s.Message + ".",
        NpgsqlException e => e.Message,
        _ => null,
    };
}
