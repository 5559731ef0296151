using OrleansMq.TestKit.Postgres;

namespace OrleansMq.Process.Tests.Fixtures;

/// <summary>
/// Base of tests that start silo processes: clusters started through <see cref="StartClusterAsync"/> are disposed
/// (processes killed) after the test whatever its outcome, and when the test failed, every process's output is
/// written to the test log.
/// </summary>
public abstract class ProcessTestBase(PostgresServerFixture postgres) : IAsyncLifetime
{
    private readonly List<ProcessCluster> _clusters = [];

    /// <summary>The shared PostgreSQL server.</summary>
    protected PostgresServer Postgres => postgres.Server;

    /// <summary>Starts a cluster that is cleaned up after the test.</summary>
    protected async Task<ProcessCluster> StartClusterAsync(int silos = 3, IEnumerable<string>? extraArguments = null)
    {
        var cluster = await ProcessCluster.StartAsync(Postgres, silos, extraArguments);
        _clusters.Add(cluster);
        return cluster;
    }

    /// <inheritdoc />
    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (TestContext.Current.TestState?.Result is not TestResult.Passed)
        {
            foreach (var cluster in _clusters)
            {
                TestContext.Current.TestOutputHelper?.WriteLine(cluster.DescribeLogs());
            }
        }

        foreach (var cluster in _clusters)
        {
            await cluster.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}
