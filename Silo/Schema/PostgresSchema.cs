using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Npgsql;
using OrleansMq.Grains.Errors;
using OrleansMq.Silo.Cluster;

namespace OrleansMq.Silo.Schema;

/// <summary>
/// The OrleansMq PostgreSQL schema: the tables, functions and query catalog the Orleans ADO.NET providers use
/// (clustering, grain state, reminders), as numbered migrations embedded in this assembly
/// (<c>Schema/Migrations/NNNN_name.sql</c>). A silo in cluster mode applies the missing ones when it starts.
/// </summary>
/// <remarks>
/// <para>
/// Durability and concurrency: one run is one transaction. It first takes a transaction-scoped advisory lock
/// (<see cref="LockKey"/>), so silos starting together migrate one after another and the later ones find nothing to
/// do; then it reads <see cref="VersionTable"/>, applies each missing migration in order and records it with its
/// checksum. PostgreSQL DDL is transactional: a failure leaves the database exactly as before. Each migration runs
/// at most once per database.
/// </para>
/// <para>
/// Compatibility: an applied migration whose checksum differs from this build's is refused (migrations are never
/// edited once shipped). Versions newer than this build are accepted with a warning, because migrations must keep the
/// previous release working (rolling upgrades), see <c>docs/cluster.md</c>. Thread-safe; holds no state.
/// </para>
/// </remarks>
public static partial class PostgresSchema
{
    /// <summary>Table holding one row per applied migration.</summary>
    public const string VersionTable = "orleansmq_schema_version";

    /// <summary>Key of the advisory lock that serializes migrations: the ASCII bytes of <c>OMQ-SCHM</c>.</summary>
    public const long LockKey = 0x4F4D_512D_5343_484D;

    /// <summary>Longest wait for another process's migration before giving up. Migrations take well under a second; 2 min leaves room for a slow or busy server.</summary>
    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromMinutes(2);

    private const string ResourcePrefix = "OrleansMq.Silo.Schema.Migrations.";

    private const string CreateVersionTable = $"""
        CREATE TABLE IF NOT EXISTS {VersionTable}
        (
            version    integer      NOT NULL,
            name       varchar(200) NOT NULL,
            checksum   char(64)     NOT NULL,
            applied_on timestamptz  NOT NULL DEFAULT now(),
            applied_by varchar(200) NOT NULL,
            CONSTRAINT {VersionTable}_key PRIMARY KEY (version)
        )
        """;

    /// <summary>The migrations of this build, in version order (1, 2, …).</summary>
    public static IReadOnlyList<SchemaMigration> Migrations { get; } = Load(typeof(PostgresSchema).Assembly);

    /// <summary>The schema version this build creates.</summary>
    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>Creates or upgrades the schema in the database of <paramref name="connectionString"/>.</summary>
    /// <param name="connectionString">Npgsql connection string; the role needs to create tables and functions.</param>
    /// <param name="appliedBy">Who applies it (broker name, host), recorded per migration.</param>
    /// <param name="logger">Receives what was applied.</param>
    /// <param name="cancellationToken">Cancels the run; nothing is applied then.</param>
    /// <exception cref="OrleansMqException">The database cannot be reached or used, or its schema history conflicts with this build; the message says why in one line.</exception>
    public static Task<SchemaMigrationResult> MigrateAsync(string connectionString, string appliedBy, ILogger logger, CancellationToken cancellationToken = default) =>
        MigrateAsync(connectionString, Migrations, appliedBy, DefaultLockTimeout, logger, cancellationToken);

    /// <summary>Same as the public overload with an explicit migration list and lock timeout (tests).</summary>
    internal static async Task<SchemaMigrationResult> MigrateAsync(
        string connectionString,
        IReadOnlyList<SchemaMigration> migrations,
        string appliedBy,
        TimeSpan lockTimeout,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        CheckSequence(migrations);
        var target = PostgresConnection.Target(connectionString);
        var clock = Stopwatch.StartNew();
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

            // lock_timeout bounds the wait for the advisory lock below (and any other lock a migration needs).
            var timeoutMs = ((long)lockTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
            await ExecuteAsync(transaction, $"SET LOCAL lock_timeout = '{timeoutMs}ms'", cancellationToken);
            try
            {
                await ExecuteAsync(transaction, $"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
            {
                throw new OrleansMqException(
                    $"PostgreSQL {target}: another process held the schema migration lock (pg_advisory_xact_lock({LockKey})) for more than {lockTimeout.TotalSeconds:0.#} s; "
                    + "look for a stuck migration in pg_stat_activity.", e);
            }

            await ExecuteAsync(transaction, CreateVersionTable, cancellationToken);
            var history = await ReadHistoryAsync(transaction, cancellationToken);
            var previous = history.Count == 0 ? 0 : history.Keys.Max();
            CheckHistory(history, migrations, target);
            if (history.Count == 0 && await HasForeignOrleansTablesAsync(transaction, cancellationToken))
            {
                throw new OrleansMqException(
                    $"PostgreSQL {target}: the database has Orleans tables (OrleansQuery) that OrleansMq did not create; use an empty database for an OrleansMq cluster.");
            }

            var applied = new List<int>();
            foreach (var migration in migrations)
            {
                if (history.ContainsKey(migration.Version))
                {
                    continue;
                }

                await ApplyAsync(transaction, migration, appliedBy, target, cancellationToken);
                applied.Add(migration.Version);
            }

            await transaction.CommitAsync(cancellationToken);
            var current = Math.Max(previous, migrations[^1].Version);
            if (previous > migrations[^1].Version)
            {
                LogNewerSchema(logger, target, previous, migrations[^1].Version);
            }

            if (applied.Count == 0)
            {
                LogUpToDate(logger, target, current, clock.ElapsedMilliseconds);
            }
            else
            {
                LogApplied(logger, target, applied[0], applied[^1], current, clock.ElapsedMilliseconds);
            }

            return new SchemaMigrationResult(previous, current, applied, clock.Elapsed);
        }
        catch (Exception e) when (e is not OrleansMqException && !cancellationToken.IsCancellationRequested && PostgresConnection.DescribeFailure(e) is { } reason)
        {
            throw new OrleansMqException($"PostgreSQL {target}: {reason}", e);
        }
    }

    /// <summary>Loads the embedded migrations <c>NNNN_name.sql</c> of <paramref name="assembly"/> in version order.</summary>
    /// <exception cref="InvalidOperationException">A resource name has no version, or versions repeat or skip (a build defect).</exception>
    internal static IReadOnlyList<SchemaMigration> Load(Assembly assembly)
    {
        var migrations = new List<SchemaMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var file = resource[ResourcePrefix.Length..^".sql".Length];
            var underscore = file.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(file.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"Schema migration '{file}.sql' is not named NNNN_name.sql.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new SchemaMigration(version, file[(underscore + 1)..], reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        CheckSequence(migrations);
        return migrations;
    }

    private static void CheckSequence(IReadOnlyList<SchemaMigration> migrations)
    {
        if (migrations.Count == 0)
        {
            throw new InvalidOperationException("No schema migrations are embedded in this build.");
        }

        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException(
                    $"Schema migrations must be numbered 1, 2, 3… without gaps or repeats; position {i + 1} has version {migrations[i].Version} ('{migrations[i].Name}').");
            }
        }
    }

    private static void CheckHistory(Dictionary<int, (string Name, string Checksum)> history, IReadOnlyList<SchemaMigration> migrations, string target)
    {
        int? firstMissing = null;
        foreach (var migration in migrations)
        {
            if (!history.TryGetValue(migration.Version, out var applied))
            {
                firstMissing ??= migration.Version;
                continue;
            }

            // Migrations are applied in order in one transaction, so the known part of the history is always 1..n.
            if (firstMissing is { } missing)
            {
                throw new OrleansMqException(
                    $"PostgreSQL {target}: the schema history in {VersionTable} has version {migration.Version} but not version {missing}; it was changed by hand.");
            }

            if (!string.Equals(applied.Checksum, migration.Checksum, StringComparison.Ordinal))
            {
                throw new OrleansMqException(
                    $"PostgreSQL {target}: schema migration {migration.Version} '{migration.Name}' was applied with checksum {applied.Checksum[..12]}… but this build's differs "
                    + $"({migration.Checksum[..12]}…); an applied migration was edited. Restore it and add the change as a new migration.");
            }
        }
    }

    private static async Task ApplyAsync(NpgsqlTransaction transaction, SchemaMigration migration, string appliedBy, string target, CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(transaction, migration.Sql, cancellationToken);
        }
        catch (PostgresException e)
        {
            throw new OrleansMqException(
                $"PostgreSQL {target}: schema migration {migration.Version} '{migration.Name}' failed, nothing was changed: "
                + (PostgresConnection.DescribeFailure(e) ?? e.Message), e);
        }

        await using var record = new NpgsqlCommand(
            $"INSERT INTO {VersionTable} (version, name, checksum, applied_by) VALUES (@version, @name, @checksum, @appliedBy)",
            transaction.Connection,
            transaction);
        record.Parameters.AddWithValue("version", migration.Version);
        record.Parameters.AddWithValue("name", migration.Name);
        record.Parameters.AddWithValue("checksum", migration.Checksum);
        record.Parameters.AddWithValue("appliedBy", appliedBy.Length <= 200 ? appliedBy : appliedBy[..200]);
        await record.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<Dictionary<int, (string Name, string Checksum)>> ReadHistoryAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var history = new Dictionary<int, (string, string)>();
        await using var command = new NpgsqlCommand($"SELECT version, name, checksum FROM {VersionTable}", transaction.Connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            history[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
        }

        return history;
    }

    private static async Task<bool> HasForeignOrleansTablesAsync(NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT to_regclass('orleansquery') IS NOT NULL", transaction.Connection, transaction);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ExecuteAsync(NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        // Migrations may rewrite large tables; 10 min is a bound for a stuck server, not an expected duration.
        await using var command = new NpgsqlCommand(sql, transaction.Connection, transaction) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(1, LogLevel.Information, "PostgreSQL {Target}: schema at version {Version}, up to date ({ElapsedMs} ms)")]
    private static partial void LogUpToDate(ILogger logger, string target, int version, long elapsedMs);

    [LoggerMessage(2, LogLevel.Information, "PostgreSQL {Target}: applied schema migrations {First}..{Last}, now at version {Version} ({ElapsedMs} ms)")]
    private static partial void LogApplied(ILogger logger, string target, int first, int last, int version, long elapsedMs);

    [LoggerMessage(3, LogLevel.Warning, "PostgreSQL {Target}: schema is at version {Version}, newer than this build's {BuildVersion}; continuing (migrations keep the previous release working)")]
    private static partial void LogNewerSchema(ILogger logger, string target, int version, int buildVersion);
}
