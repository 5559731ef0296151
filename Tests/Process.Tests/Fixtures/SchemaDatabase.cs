using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OrleansMq.Silo.Schema;
using OrleansMq.TestKit.Postgres;

namespace OrleansMq.Process.Tests.Fixtures;

/// <summary>Fresh databases on the shared test server, empty or with the OrleansMq schema applied.</summary>
public static class SchemaDatabase
{
    /// <summary>Creates an empty database and returns its connection string (as the app role).</summary>
    public static async Task<string> CreateEmptyAsync(PostgresServer server, string prefix = "schema") =>
        server.ConnectionString(await server.CreateDatabaseAsync(prefix));

    /// <summary>Creates a database, applies the schema, and returns the connection string the silo would use (session time zone UTC).</summary>
    public static async Task<string> CreateMigratedAsync(PostgresServer server, string prefix = "schema")
    {
        var connectionString = await CreateEmptyAsync(server, prefix);
        await PostgresSchema.MigrateAsync(connectionString, "tests", NullLogger.Instance);
        return new NpgsqlConnectionStringBuilder(connectionString) { Timezone = "UTC" }.ConnectionString;
    }

    /// <summary>Runs a query and returns the first column of every row.</summary>
    public static async Task<List<T>> QueryAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }

    /// <summary>Runs a statement.</summary>
    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
