using OrleansMq.TestKit;
using OrleansMq.TestKit.Postgres;
using OrleansMq.TestKit.Processes;

namespace OrleansMq.Process.Tests.Infrastructure;

/// <summary>How the PostgreSQL fixture finds the server programs and runs them (as the postgres user under root).</summary>
[Trait("Suite", "SlowBVT")]
[Trait("Area", "Cluster")]
public sealed class PostgresBinariesTests
{
    [Fact]
    public async Task LocateAsync_FindsInitdbAndPostgres_AndRunsThemAsTheRightUser()
    {
        var binaries = await PostgresBinaries.LocateAsync();

        Assert.True(File.Exists(Path.Combine(binaries.BinDirectory, "initdb")));
        Assert.Equal(Posix.IsRoot, binaries.RunAsServiceUser);
        var (fileName, arguments) = binaries.Command("postgres", ["--version"]);
        var version = await ChildProcess.RunAsync("postgres --version", fileName, arguments, TimeSpan.FromSeconds(30));
        Assert.StartsWith("postgres (PostgreSQL)", version);
    }

    [Fact]
    public async Task LocateAsync_ConfiguredDirectoryWithoutTheServer_SaysWhichSettingIsWrong()
    {
        using var empty = new TempDirectory("orleansmq-nopg");
        var previous = Environment.GetEnvironmentVariable(PostgresBinaries.BinDirectoryVariable);
        Environment.SetEnvironmentVariable(PostgresBinaries.BinDirectoryVariable, empty.Path);
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(PostgresBinaries.LocateAsync);

            Assert.Equal($"{PostgresBinaries.BinDirectoryVariable}='{empty.Path}' has no initdb and postgres.", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(PostgresBinaries.BinDirectoryVariable, previous);
        }
    }

    [Fact]
    public async Task Server_RunsAsThePostgresUserUnderRoot_AndIsGoneAfterDispose()
    {
        var server = await PostgresServer.StartAsync(TestContext.Current.CancellationToken);
        var backend = await server.ScalarAsync<int>("postgres", "SELECT pg_backend_pid()");
        var data = await server.ScalarAsync<string>("postgres", "SELECT current_setting('data_directory')");
        var owner = (await ChildProcess.RunAsync("ps", "ps", ["-o", "user=", "-p", backend.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(30))).Trim();

        await server.DisposeAsync();

        Assert.Equal(Posix.IsRoot ? PostgresBinaries.ServiceUser : Environment.UserName, owner);
        Assert.False(Posix.IsAlive(backend), "a server process outlived Dispose");
        Assert.False(Directory.Exists(Path.GetDirectoryName(data)), "Dispose left the server's directory behind");
    }
}
