using System.Net.Sockets;
using Npgsql;

namespace OrleansMq.Silo.Cluster;

/// <summary>PostgreSQL connection strings and errors, in the terms a user configuring a broker understands.</summary>
internal static class PostgresConnection
{
    /// <summary>The ADO.NET invariant name Orleans uses to load Npgsql.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>Returns what is wrong with <paramref name="connectionString"/>, or null when it can be used.</summary>
    /// <param name="connectionString">The connection string.</param>
    /// <param name="option">The setting it came from, for the message (e.g. <c>OrleansMq:Host:ConnectionString</c>).</param>
    public static string? Validate(string? connectionString, string option)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return $"{option} is empty; give a connection string such as 'Host=127.0.0.1;Port=5432;Database=orleansmq;Username=orleansmq;Password=…'.";
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            return $"{option} is not a valid PostgreSQL connection string: {e.Message}";
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            return $"{option} has no Host; give the PostgreSQL server, e.g. 'Host=127.0.0.1;Port=5432;…'.";
        }

        if (string.IsNullOrWhiteSpace(builder.Database))
        {
            return $"{option} has no Database; give the database that holds the cluster, e.g. 'Database=orleansmq'.";
        }

        return null;
    }

    /// <summary>
    /// The connection string the silo and clients use: the session time zone is UTC, so a timestamp that reaches
    /// PostgreSQL without a zone (a <see cref="DateTime"/> of unspecified kind) means UTC like every timestamp Orleans
    /// stores, whatever the server's default zone; and connections carry an application name for
    /// <c>pg_stat_activity</c> unless one was given.
    /// </summary>
    public static string Normalize(string connectionString, string applicationName)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timezone = "UTC" };
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = applicationName;
        }

        return builder.ConnectionString;
    }

    /// <summary>Where a connection string points, without secrets: <c>host:port/database (user x)</c>.</summary>
    public static string Target(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var user = string.IsNullOrEmpty(builder.Username) ? Environment.UserName : builder.Username;
        return $"{builder.Host}:{builder.Port}/{builder.Database} (user {user})";
    }

    /// <summary>A one-line reason for a failure to use the database, with a hint where there is an obvious fix; null if not a database failure.</summary>
    public static string? DescribeFailure(Exception exception) => exception switch
    {
        PostgresException e => e.SqlState switch
        {
            PostgresErrorCodes.InvalidPassword =>
                $"{e.MessageText}; check Username and Password in the connection string (--connection).",
            PostgresErrorCodes.InvalidAuthorizationSpecification =>
                $"{e.MessageText}; the server refuses this user, database or address (pg_hba.conf).",
            PostgresErrorCodes.InvalidCatalogName =>
                $"{e.MessageText}; create it (CREATE DATABASE … OWNER …) or fix Database in the connection string.",
            PostgresErrorCodes.InsufficientPrivilege =>
                $"{e.MessageText}; the role needs to own the database, or CREATE on its schema, to create the OrleansMq schema.",
            PostgresErrorCodes.CannotConnectNow => $"{e.MessageText}; retry when the server has started.",
            PostgresErrorCodes.TooManyConnections => $"{e.MessageText}; raise max_connections or lower Max Pool Size.",
            _ => $"{e.MessageText} (SQLSTATE {e.SqlState}).",
        },
        NpgsqlException { InnerException: SocketException s } => s.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused; is PostgreSQL running and listening on that host and port?",
            SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => "the host name does not resolve; check Host in the connection string.",
            SocketError.TimedOut => "the connection timed out; check Host, Port and firewalls.",
            _ => $"{s.Message}.",
        },
        NpgsqlException { InnerException: TimeoutException } => "the connection timed out; check Host, Port and firewalls (Timeout in the connection string).",
        NpgsqlException e => e.Message,
        _ => null,
    };
}
