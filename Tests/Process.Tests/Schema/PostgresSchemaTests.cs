using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OrleansMq.Grains.Errors;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.Silo.Schema;
using OrleansMq.TestKit.Postgres;

namespace OrleansMq.Process.Tests.Schema;

/// <summary>Creating and upgrading the schema: versioning, idempotence, concurrency, atomicity, clear failures.</summary>
[Trait("Suite", "SlowBVT")]
[Trait("Area", "Cluster")]
public sealed class PostgresSchemaTests(PostgresServerFixture postgres)
{
    private static readonly string[] RequiredQueryKeys =
    [
        // Clustering (9)
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey", "MembershipReadRowKey",
        "MembershipReadAllKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey", "CleanupDefunctSiloEntriesKey",
        // Persistence (4)
        "WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey", "DeleteStorageKey",
        // Reminders (7)
        "UpsertReminderRowKey", "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
        "DeleteReminderRowKey", "DeleteReminderRowsKey",
    ];

    private PostgresServer Server => postgres.Server;

    [Fact]
    public void Migrations_EmbeddedInTheSilo_AreNumberedFromOneWithoutGaps()
    {
        Assert.Equal(Enumerable.Range(1, PostgresSchema.Migrations.Count), PostgresSchema.Migrations.Select(m => m.Version));
        Assert.Equal(["query_catalog", "clustering", "grain_state", "reminders"], PostgresSchema.Migrations.Select(m => m.Name));
        Assert.All(PostgresSchema.Migrations, m => Assert.Matches("^[0-9a-f]{64}$", m.Checksum));
        Assert.Equal(PostgresSchema.Migrations.Count, PostgresSchema.LatestVersion);
    }

    [Fact]
    public async Task MigrateAsync_MigrationsWithAGap_AreRefusedAsABuildDefect()
    {
        var connectionString = await SchemaDatabase.CreateEmptyAsync(Server);
        SchemaMigration[] gap = [PostgresSchema.Migrations[0], PostgresSchema.Migrations[2]];

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => MigrateAsync(connectionString, gap));

        Assert.Contains("without gaps", error.Message);
    }

    [Fact]
    public async Task MigrateAsync_EmptyDatabase_AppliesEveryMigrationAndRecordsIt()
    {
        var connectionString = await SchemaDatabase.CreateEmptyAsync(Server);

        var result = await PostgresSchema.MigrateAsync(connectionString, "broker-1 on test", NullLogger.Instance, TestContext.Current.CancellationToken);

        Assert.Equal(0, result.PreviousVersion);
        Assert.Equal(PostgresSchema.LatestVersion, result.CurrentVersion);
        Assert.Equal(Enumerable.Range(1, PostgresSchema.LatestVersion), result.Applied);
        var history = await SchemaDatabase.QueryAsync<string>(connectionString,
            $"SELECT version || ' ' || name || ' ' || checksum || ' ' || applied_by FROM {PostgresSchema.VersionTable} ORDER BY version");
        Assert.Equal(PostgresSchema.Migrations.Select(m => $"{m.Version} {m.Name} {m.Checksum} broker-1 on test"), history);
    }

    [Fact]
    public async Task MigrateAsync_EmptyDatabase_InstallsEveryQueryTheProvidersRequire()
    {
        var connectionString = await SchemaDatabase.CreateMigratedAsync(Server);

        var keys = await SchemaDatabase.QueryAsync<string>(connectionString, "SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey");

        // The 20 required keys plus the optional captured-row cleanup that Orleans 10 uses when present.
        Assert.Equal(RequiredQueryKeys.Append("CleanupDefunctSiloEntryKey").Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task MigrateAsync_SecondRun_ChangesNothing()
    {
        var connectionString = await SchemaDatabase.CreateEmptyAsync(Server);
        await MigrateAsync(connectionString);
        var before = await Snapshot(connectionString);

        var second = await MigrateAsync(connectionString);

        Assert.True(second.WasUpToDate);
        Assert.Equal(PostgresSchema.LatestVersion, second.PreviousVersion);
        Assert.Equal(PostgresSchema.LatestVersion, second.CurrentVersion);
        Assert.Equal(before, await Snapshot(connectionString));
    }

    [Fact]
    public async Task MigrateAsync_ThreeSilosAtOnce_ApplyOnceAndAllSucceed()
    {
        var connectionString = await SchemaDatabase.CreateEmptyAsync(Server);

        var results = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => Task.Run(() =>
            PostgresSchema.MigrateAsync(connectionString, $"broker-{i}", NullLogger.Instance, TestContext.Current.CancellationToken))));

        Assert.Single(results, r => r.Applied.Count == PostgresSchema.LatestVersion);
        Assert.Equal(2, results.Count(r => r.WasUpToDate));
        Assert.All(results, r => Assert.Equal(PostgresSchema.LatestVersion, r.CurrentVersion));
        Assert.Equal(PostgresSchema.LatestVersion, (await SchemaDatabase.QueryAsync<long>(connectionString, $"SELECT count(*) FROM {PostgresSchema.VersionTable}")).Single());
        Assert.Equal(21, (await SchemaDatabase.QueryAsync<long>(connectionString, "SELECT count(*) FROM OrleansQuery")).Single());
    }

    [Fact]
    public async Task MigrateAsync_OlderSchema_AppliesOnlyTheMissingMigrationsInOrder()
    {
        var connectionString = await SchemaDatabase.CreateEmptyAsync(Server);
        await MigrateAsync(connectionString, PostgresSchema.Migrations.Take(2).ToArray());

        var upgrade = await MigrateAsync(connectionString);

        Assert.Equal(2, upgrade.PreviousVersion);
        Assert.Equal(Enumerable.Range(3, PostgresSchema.LatestVersion - 2), upgrade.Applied);
        Assert.Equal(PostgresSchema.LatestVersion, upgrade.CurrentVersion);
    }

    [Fact]
    public async Task MigrateAsync_FailingMigration_LeavesTheDatabaseAsItWas()
    {
        var connectionString = await SchemaDatabase.CreateEmptyAsync(Server);
        var broken = new SchemaMigration(PostgresSchema.LatestVersion + 1, "broken", "CREATE TABLE half_done (id int);\nSELECT no_such_function();");

        var error = await Assert.ThrowsAsync<OrleansMqException>(() => MigrateAsync(connectionString, [.. PostgresSchema.Migrations, broken]));

        Assert.Contains($"schema migration {broken.Version} 'broken' failed, nothing was changed", error.Message);
        Assert.Contains("no_such_function", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        var tables = await SchemaDatabase.QueryAsync<string>(connectionString, "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'");
        Assert.Empty(tables);
    }

    [Fact]
    public async Task MigrateAsync_AppliedMigrationWasEdited_IsRefused()
    {
        var connectionString = await SchemaDatabase.CreateEmptyAsync(Server);
        await MigrateAsync(connectionString);
        var edited = PostgresSchema.Migrations.ToArray();
        edited[1] = edited[1] with { Sql = edited[1].Sql + "\n-- edited" };

        var error = await Assert.ThrowsAsync<OrleansMqException>(() => MigrateAsync(connectionString, edited));

        Assert.Contains("schema migration 2 'clustering' was applied with checksum", error.Message);
        Assert.Contains("add the change as a new migration", error.Message);
    }

    [Fact]
    public async Task MigrateAsync_HistoryWithAGap_IsRefused()
    {
        var connectionString = await SchemaDatabase.CreateEmptyAsync(Server);
        await MigrateAsync(connectionString);
        await SchemaDatabase.ExecuteAsync(connectionString, $"DELETE FROM {PostgresSchema.VersionTable} WHERE version = 2");

        var error = await Assert.ThrowsAsync<OrleansMqException>(() => MigrateAsync(connectionString));

        Assert.Contains("has version 3 but not version 2; it was changed by hand", error.Message);
    }

    [Fact]
    public async Task MigrateAsync_DatabaseNewerThanThisBuild_StartsWithoutChanges()
    {
        var connectionString = await SchemaDatabase.CreateEmptyAsync(Server);
        await MigrateAsync(connectionString);
        var future = PostgresSchema.LatestVersion + 1;
        await SchemaDatabase.ExecuteAsync(connectionString,
            $"INSERT INTO {PostgresSchema.VersionTable} (version, name, checksum, applied_by) VALUES ({future}, 'future', repeat('0', 64), 'newer build')");

        var result = await MigrateAsync(connectionString);

        Assert.True(result.WasUpToDate);
        Assert.Equal(future, result.PreviousVersion);
        Assert.Equal(future, result.CurrentVersion);
    }

    [Fact]
    public async Task MigrateAsync_OrleansTablesFromElsewhere_AreRefused()
    {
        var connectionString = await SchemaDatabase.CreateEmptyAsync(Server);
        await SchemaDatabase.ExecuteAsync(connectionString, "CREATE TABLE OrleansQuery (QueryKey varchar(64) PRIMARY KEY, QueryText varchar(8000))");

        var error = await Assert.ThrowsAsync<OrleansMqException>(() => MigrateAsync(connectionString));

        Assert.Contains("has Orleans tables (OrleansQuery) that OrleansMq did not create", error.Message);
    }

    [Fact]
    public async Task MigrateAsync_AnotherMigrationHoldsTheLock_WaitsThenFailsWithTheLockNamed()
    {
        var connectionString = await SchemaDatabase.CreateEmptyAsync(Server);
        await using var holder = new NpgsqlConnection(connectionString);
        await holder.OpenAsync(TestContext.Current.CancellationToken);
        await using var transaction = await holder.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await using (var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgresSchema.LockKey})", holder, transaction))
        {
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var error = await Assert.ThrowsAsync<OrleansMqException>(() =>
            PostgresSchema.MigrateAsync(connectionString, PostgresSchema.Migrations, "tests", TimeSpan.FromSeconds(1), NullLogger.Instance, TestContext.Current.CancellationToken));

        Assert.Contains("another process held the schema migration lock", error.Message);
        Assert.Contains("for more than 1 s", error.Message);
    }

    [Fact]
    public async Task MigrateAsync_WrongPassword_FailsWithOneLineReason()
    {
        var database = await Server.CreateDatabaseAsync();

        var error = await Assert.ThrowsAsync<OrleansMqException>(() => MigrateAsync(Server.ConnectionString(database, PostgresServer.AppUser, "wrong")));

        Assert.StartsWith($"PostgreSQL 127.0.0.1:{Server.Port}/{database} (user orleansmq): password authentication failed for user \"orleansmq\"", error.Message);
        Assert.Contains("check Username and Password", error.Message);
        Assert.DoesNotContain("wrong", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task MigrateAsync_NothingListensOnThePort_FailsWithConnectionRefused()
    {
        var port = TestKit.Processes.FreePorts.Next();
        var connectionString = $"Host=127.0.0.1;Port={port};Database=orleansmq;Username=orleansmq;Password=x;Timeout=5";

        var error = await Assert.ThrowsAsync<OrleansMqException>(() => MigrateAsync(connectionString));

        Assert.Equal($"PostgreSQL 127.0.0.1:{port}/orleansmq (user orleansmq): connection refused; is PostgreSQL running and listening on that host and port?", error.Message);
    }

    [Fact]
    public async Task MigrateAsync_DatabaseDoesNotExist_SaysSoAndHowToCreateIt()
    {
        var error = await Assert.ThrowsAsync<OrleansMqException>(() => MigrateAsync(Server.ConnectionString("no_such_database")));

        Assert.Contains("database \"no_such_database\" does not exist; create it (CREATE DATABASE … OWNER …)", error.Message);
    }

    [Fact]
    public async Task MigrateAsync_RoleWithoutCreatePrivilege_SaysWhatTheRoleNeeds()
    {
        var database = await Server.CreateDatabaseAsync();
        var role = "reader_" + Guid.NewGuid().ToString("N")[..8];
        await Server.CreateRoleAsync(role, "secret");

        var error = await Assert.ThrowsAsync<OrleansMqException>(() => MigrateAsync(Server.ConnectionString(database, role, "secret")));

        Assert.Contains("permission denied for schema public", error.Message);
        Assert.Contains("the role needs to own the database, or CREATE on its schema", error.Message);
    }

    [Fact]
    public async Task Gate_InTheSiloLifecycle_MigratesAtTheFirstStage_OncePerProcess()
    {
        var connectionString = await SchemaDatabase.CreateEmptyAsync(Server);
        var gate = new PostgresSchemaGate(
            connectionString,
            Microsoft.Extensions.Options.Options.Create(new Orleans.Configuration.SiloOptions { SiloName = "broker-7" }),
            NullLogger<PostgresSchemaGate>.Instance);

        await StartedLifecycle.StartAsync(gate);
        var first = await gate.EnsureAsync(TestContext.Current.CancellationToken);
        var second = await gate.EnsureAsync(TestContext.Current.CancellationToken);

        Assert.Equal(PostgresSchema.LatestVersion, first.Applied.Count);
        Assert.Same(first, second);
        var appliedBy = await SchemaDatabase.QueryAsync<string>(connectionString, $"SELECT DISTINCT applied_by::text FROM {PostgresSchema.VersionTable}");
        Assert.Equal([$"broker-7 on {Environment.MachineName}"], appliedBy);
    }

    private static Task<SchemaMigrationResult> MigrateAsync(string connectionString, IReadOnlyList<SchemaMigration>? migrations = null) =>
        PostgresSchema.MigrateAsync(connectionString, migrations ?? PostgresSchema.Migrations, "tests", PostgresSchema.DefaultLockTimeout, NullLogger.Instance, TestContext.Current.CancellationToken);

    /// <summary>Every schema object, query and history row, to compare before and after.</summary>
    private static async Task<string> Snapshot(string connectionString)
    {
        var parts = new List<string>();
        parts.AddRange(await SchemaDatabase.QueryAsync<string>(connectionString,
            "SELECT c.relname || ':' || c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1"));
        parts.AddRange(await SchemaDatabase.QueryAsync<string>(connectionString,
            "SELECT p.proname || ':' || md5(p.prosrc) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1"));
        parts.AddRange(await SchemaDatabase.QueryAsync<string>(connectionString, "SELECT QueryKey || ':' || md5(QueryText) FROM OrleansQuery ORDER BY 1"));
        parts.AddRange(await SchemaDatabase.QueryAsync<string>(connectionString,
            $"SELECT version || ':' || checksum || ':' || applied_on::text FROM {PostgresSchema.VersionTable} ORDER BY version"));
        return string.Join('\n', parts);
    }
}
