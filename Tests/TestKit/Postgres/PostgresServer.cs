using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;
using OrleansMq.TestKit.Processes;

namespace OrleansMq.TestKit.Postgres;

/// <summary>
/// A private PostgreSQL server for tests: <c>initdb</c> in a fresh temp directory, <c>postgres</c> listening on
/// 127.0.0.1 on a free port (its Unix socket in that directory), password authentication over TCP, and a login role
/// <see cref="AppUser"/> that owns the databases made by <see cref="CreateDatabaseAsync"/>. Disposing stops the server
/// (fast shutdown, then SIGKILL) and deletes the directory. When tests run as root the server runs as the
/// <c>postgres</c> OS user (<see cref="PostgresBinaries"/>).
/// </summary>
/// <remarks>
/// Thread-safe. Durability is traded for speed (<c>fsync=off</c>): the data lives only as long as the test run.
/// Every wait is bounded; failures carry the server's output.
/// </remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>The login role that owns test databases.</summary>
    public const string AppUser = "orleansmq";

    private const string DirectoryPrefix = "orleansmq-pg-";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly PostgresBinaries _binaries;
    private readonly string _directory;
    private readonly string _superuserPassword;
    private ChildProcess _server = null!;
    private int _databases;

    private PostgresServer(PostgresBinaries binaries, string directory)
    {
        _binaries = binaries;
        _directory = directory;
        _superuserPassword = Secret();
        AppPassword = Secret();
    }

    /// <summary>Always 127.0.0.1.</summary>
    public string Host => "127.0.0.1";

    /// <summary>TCP port.</summary>
    public int Port { get; private set; }

    /// <summary>Password of <see cref="AppUser"/>.</summary>
    public string AppPassword { get; }

    /// <summary>How long initdb plus server start took.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>The server's output so far (for failure messages).</summary>
    public string Log => _server.Output;

    /// <summary>Starts a server. Fails (never skips) with the install command when PostgreSQL is missing.</summary>
    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        OrphanSweeper.Sweep(DirectoryPrefix);
        var binaries = await PostgresBinaries.LocateAsync();
        var directory = Path.Combine(Path.GetTempPath(), DirectoryPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        OrphanSweeper.Mark(directory);
        var server = new PostgresServer(binaries, directory);
        try
        {
            await server.InitializeAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Connection string for <paramref name="database"/> as <paramref name="user"/> (default <see cref="AppUser"/>).</summary>
    public string ConnectionString(string database, string? user = null, string? password = null) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = database,
            Username = user ?? AppUser,
            Password = password ?? (user is null ? AppPassword : null),
            Timeout = 10,
        }.ConnectionString;

    /// <summary>Connection string of the superuser <c>postgres</c> (for set-up and inspection).</summary>
    public string SuperuserConnectionString(string database = "postgres") => ConnectionString(database, "postgres", _superuserPassword);

    /// <summary>Creates an empty database owned by <see cref="AppUser"/> and returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test", CancellationToken cancellationToken = default)
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..6]}".ToLowerInvariant();
        await ExecuteAsync("postgres", $"CREATE DATABASE {name} OWNER {AppUser}", cancellationToken);
        return name;
    }

    /// <summary>Creates a login role with <paramref name="password"/> and no privileges beyond connecting.</summary>
    public Task CreateRoleAsync(string role, string password, CancellationToken cancellationToken = default) =>
        ExecuteAsync("postgres", $"CREATE ROLE {role} LOGIN PASSWORD '{password.Replace("'", "''", StringComparison.Ordinal)}'", cancellationToken);

    /// <summary>Runs <paramref name="sql"/> in <paramref name="database"/> as the superuser.</summary>
    public async Task ExecuteAsync(string database, string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString(database));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs <paramref name="sql"/> in <paramref name="database"/> as the superuser and returns the first column of the first row.</summary>
    public async Task<T> ScalarAsync<T>(string database, string sql, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString(database));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Stops the server and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_server is not null)
        {
            try
            {
                await _server.StopAsync(TimeSpan.FromSeconds(20), Posix.SigInt);
            }
            catch (TimeoutException)
            {
                // StopAsync killed it.
            }

            await _server.DisposeAsync();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var passwordFile = Path.Combine(_directory, "superuser.password");
        await File.WriteAllTextAsync(passwordFile, _superuserPassword + "\n", cancellationToken);
        await _binaries.GrantAsync(_directory);

        var data = Path.Combine(_directory, "data");
        var (initdb, initdbArguments) = _binaries.Command("initdb",
        [
            "-D", data, "-U", "postgres", "-E", "UTF8", "--locale=C",
            "--auth-local=trust", "--auth-host=scram-sha-256", $"--pwfile={passwordFile}",
            "--no-sync", // a test server's files need not survive a machine crash; saves ~1 s
        ]);
        await ChildProcess.RunAsync("initdb", initdb, initdbArguments, StartTimeout, workingDirectory: _directory);

        // A port can be taken between the check and the bind (other test runs, other agents): retry on a new one.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePorts.Next();
            var (postgres, arguments) = _binaries.Command("postgres",
            [
                "-D", data, "-h", Host, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", _directory,
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=300", // three silos with several connection pools each, plus tests
            ]);
            _server = ChildProcess.Start("postgres", postgres, arguments, workingDirectory: _directory);
            File.WriteAllText(Path.Combine(_directory, "server.pid"), _server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (await WaitUntilReadyAsync(cancellationToken))
            {
                break;
            }

            if (attempt == 3 || !_server.OutputContains("could not bind"))
            {
                throw new InvalidOperationException($"PostgreSQL exited while starting (exit code {_server.ExitCode}) on port {Port}:{Environment.NewLine}{_server.Output}");
            }

            await _server.DisposeAsync();
        }

        await ExecuteAsync("postgres", $"CREATE ROLE {AppUser} LOGIN PASSWORD '{AppPassword}'", cancellationToken);
        StartupTime = clock.Elapsed;
    }

    /// <summary>True once a connection succeeds; false if the server exited first.</summary>
    private async Task<bool> WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var ready = false;
        await Wait.UntilAsync(
            async () =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (_server.HasExited)
                {
                    return true;
                }

                try
                {
                    var connectionString = new NpgsqlConnectionStringBuilder(SuperuserConnectionString()) { Pooling = false, Timeout = 2 }.ConnectionString;
                    await using var connection = new NpgsqlConnection(connectionString);
                    await connection.OpenAsync(cancellationToken);
                    ready = true;
                    return true;
                }
                catch (NpgsqlException)
                {
                    return false;
                }
            },
            $"PostgreSQL on {Host}:{Port} to accept connections",
            StartTimeout,
            () => _server.Tail(20));
        return ready;
    }

    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
}
