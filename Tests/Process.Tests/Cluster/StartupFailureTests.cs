using System.Globalization;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.TestKit;
using OrleansMq.TestKit.Postgres;
using OrleansMq.TestKit.Processes;

namespace OrleansMq.Process.Tests.Cluster;

/// <summary>A silo process that cannot use its database or settings stops at once with one clear line and exit code 1.</summary>
[Trait("Suite", "SlowBVT")]
[Trait("Area", "Cluster")]
public sealed class StartupFailureTests(PostgresServerFixture postgres)
{
    private const string Prefix = "OrleansMq broker failed to start: ";

    private PostgresServer Server => postgres.Server;

    [Fact(Timeout = 120_000)]
    public async Task WrongPassword_StopsWithTheServerAndUserNamed()
    {
        var database = await Server.CreateDatabaseAsync();

        var line = await StartAndExpectFailureAsync("--cluster", "postgres", "--connection", Server.ConnectionString(database, PostgresServer.AppUser, "not-the-password"));

        Assert.Equal(
            $"PostgreSQL 127.0.0.1:{Server.Port}/{database} (user orleansmq): password authentication failed for user \"orleansmq\"; check Username and Password in the connection string (--connection).",
            line);
    }

    [Fact(Timeout = 120_000)]
    public async Task UnreachableDatabase_StopsWithConnectionRefused()
    {
        var port = FreePorts.Next();

        var line = await StartAndExpectFailureAsync("--cluster", "postgres", "--connection", $"Host=127.0.0.1;Port={port};Database=orleansmq;Username=orleansmq;Password=x");

        Assert.Equal($"PostgreSQL 127.0.0.1:{port}/orleansmq (user orleansmq): connection refused; is PostgreSQL running and listening on that host and port?", line);
    }

    [Fact(Timeout = 120_000)]
    public async Task MissingDatabase_StopsAndSaysHowToCreateIt()
    {
        var line = await StartAndExpectFailureAsync("--cluster", "postgres", "--connection", Server.ConnectionString("no_such_db"));

        Assert.Contains("database \"no_such_db\" does not exist; create it", line);
    }

    [Fact(Timeout = 120_000)]
    public async Task MalformedConnectionString_StopsBeforeConnecting()
    {
        var line = await StartAndExpectFailureAsync("--cluster", "postgres", "--connection", "Host=127.0.0.1;Port=many");

        Assert.StartsWith("OrleansMq:Host:ConnectionString is not a valid PostgreSQL connection string:", line);
        Assert.EndsWith("(--connection)", line);
    }

    [Fact(Timeout = 120_000)]
    public async Task PostgresModeWithoutConnectionString_SaysWhichSettingIsMissing()
    {
        var line = await StartAndExpectFailureAsync("--cluster", "postgres");

        Assert.StartsWith("OrleansMq:Host:ConnectionString is empty but Mode is Postgres", line);
    }

    [Fact(Timeout = 120_000)]
    public async Task UnresolvableAddress_SaysSo()
    {
        var line = await StartAndExpectFailureAsync("--cluster", "postgres", "--connection", Server.ConnectionString("postgres"), "--address", "no-such-host.invalid");

        Assert.StartsWith("OrleansMq:Host:Address 'no-such-host.invalid' does not resolve", line);
    }

    [Fact(Timeout = 120_000)]
    public async Task MalformedMembershipSetting_NamesTheSetting()
    {
        var line = await StartAndExpectFailureAsync("--cluster", "postgres", "--connection", Server.ConnectionString("postgres"), "--OrleansMq:Membership:ProbeTimeout=soon");

        Assert.Contains("OrleansMq:Membership:ProbeTimeout", line);
    }

    /// <summary>Starts a silo on free ports, expects exit code 1 within a minute, and returns its one-line reason (without the prefix).</summary>
    private static async Task<string> StartAndExpectFailureAsync(params string[] arguments)
    {
        using var data = new TempDirectory("orleansmq-fail");
        string[] ports = ["--silo-port", Port(), "--gateway-port", Port(), "--http-port", Port(), "--data", data.Path, "--name", "broker-x"];
        await using var silo = ChildProcess.Start("silo", "dotnet", [Repository.SiloAssembly, .. ports, .. arguments], workingDirectory: data.Path);

        await silo.WaitForExitAsync(TimeSpan.FromSeconds(60));

        var output = silo.RawOutput;
        Assert.True(silo.ExitCode == 1, $"Expected exit code 1, got {silo.ExitCode}:{Environment.NewLine}{output}");
        var reasons = output.Split('\n').Where(l => l.StartsWith(Prefix, StringComparison.Ordinal)).ToArray();
        Assert.True(reasons.Length == 1, $"Expected one '{Prefix}…' line:{Environment.NewLine}{output}");
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        return reasons[0][Prefix.Length..].TrimEnd('\r');
    }

    private static string Port() => FreePorts.Next().ToString(CultureInfo.InvariantCulture);
}
