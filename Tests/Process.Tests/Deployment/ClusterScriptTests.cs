using OrleansMq.Client.Hosting;
using OrleansMq.Client.Messages;
using OrleansMq.Process.Tests.Cluster;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.TestKit;
using OrleansMq.TestKit.Processes;

namespace OrleansMq.Process.Tests.Deployment;

/// <summary>scripts/cluster.sh: the compose topology as local processes, started, reported and stopped by pid files.</summary>
[Trait("Suite", "SlowBVT")]
[Trait("Area", "Cluster")]
public sealed class ClusterScriptTests : IAsyncLifetime
{
    private const string Prefix = "orleansmq-script";
    private readonly TempDirectory _root;
    private readonly string _state;
    private string _lastOutput = "";

    public ClusterScriptTests()
    {
        OrphanSweeper.Sweep(Prefix);
        _root = new TempDirectory(Prefix);
        OrphanSweeper.Mark(_root.Path);
        _state = _root.Combine("state");
    }

    [Fact(Timeout = 300_000)]
    public async Task UpStatusDown_RunsAWorkingClusterAndStopsExactlyWhatItStarted()
    {
        var up = await RunAsync("up");
        Assert.True(up.ExitCode == 0, up.Output);
        Assert.Contains("OrleansMq cluster is up", up.Output);
        var env = File.ReadAllLines(Path.Combine(_state, "cluster.env"))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim('\''));
        var pids = Directory.GetFiles(_state, "*.pid").ToDictionary(f => Path.GetFileNameWithoutExtension(f)!, f => int.Parse(File.ReadAllText(f).Trim(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["broker-1", "broker-2", "broker-3", "postgres"], pids.Keys.Order());

        // A working cluster: clients find it through PostgreSQL or the printed gateways.
        await using (var client = await MqClient.ConnectAsync(new MqClientOptions { ConnectionString = env["ORLEANSMQ_CONNECTION_STRING"], ClusterId = env["ORLEANSMQ_CLUSTER_ID"] }, cancellationToken: TestContext.Current.CancellationToken))
        await using (var listed = await MqClient.ConnectAsync(new MqClientOptions { Gateways = env["ORLEANSMQ_GATEWAYS"].Split(','), ClusterId = env["ORLEANSMQ_CLUSTER_ID"] }, cancellationToken: TestContext.Current.CancellationToken))
        {
            var topic = Topics.Unique("script");
            await client.Admin.CreateTopicAsync(topic, 3);
            await using (var producer = listed.CreateProducer())
            {
                await Task.WhenAll(Enumerable.Range(0, 30).Select(i => producer.SendAsync(new Message(topic, $"s{i}"))));
            }

            Assert.Equal(30, (await ClusterTests.PullAllAsync(client.CreatePullConsumer(), topic, 30)).Distinct().Count());
        }

        // The brokers run with the runtime settings the Dockerfile gives the image (docs/operations.md, "Runtime settings").
        foreach (var broker in pids.Keys.Where(k => k.StartsWith("broker-", StringComparison.Ordinal)))
        {
            var environ = (await File.ReadAllTextAsync($"/proc/{pids[broker]}/environ", TestContext.Current.CancellationToken)).Split('\0');
            foreach (var (name, value) in RuntimeSettingsTests.BrokerEnvironment)
            {
                Assert.True(environ.Contains($"{name}={value}"), $"{broker} runs without {name}={value}");
            }
        }

        var status = await RunAsync("status");
        Assert.True(status.ExitCode == 0, status.Output);
        Assert.Equal(3, status.Output.Split('\n').Count(l => l.Contains("health 200", StringComparison.Ordinal)));

        var again = await RunAsync("up");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("a cluster is already running", again.Output);

        // A pid file naming someone else's process (a reused pid) must not make `down` stop that process.
        await using var bystander = ChildProcess.Start("bystander", "sleep", ["600"]);
        await File.WriteAllTextAsync(Path.Combine(_state, "broker-9.pid"), bystander.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), TestContext.Current.CancellationToken);

        var down = await RunAsync("down");

        Assert.True(down.ExitCode == 0, down.Output);
        Assert.All(pids, p => Assert.False(Posix.IsAlive(p.Value), $"{p.Key} (pid {p.Value}) still runs after down"));
        Assert.False(bystander.HasExited, "down stopped a process it did not start");
        Assert.Contains("broker-9: not running", down.Output);
        Assert.False(Directory.Exists(_state), "down left the state directory behind");
        var after = await RunAsync("status");
        Assert.Equal(3, after.ExitCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task UnknownCommand_PrintsUsageAndFails()
    {
        var result = await RunAsync("sideways");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("scripts/cluster.sh up", result.Output);
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (TestContext.Current.TestState?.Result is not TestResult.Passed)
        {
            TestContext.Current.TestOutputHelper?.WriteLine(_lastOutput);
            foreach (var log in Directory.Exists(Path.Combine(_state, "logs")) ? Directory.GetFiles(Path.Combine(_state, "logs")) : [])
            {
                TestContext.Current.TestOutputHelper?.WriteLine($"===== {log} =====");
                TestContext.Current.TestOutputHelper?.WriteLine(await File.ReadAllTextAsync(log));
            }
        }

        if (Directory.Exists(_state))
        {
            await RunAsync("down");
        }

        _root.Dispose();
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string command)
    {
        await using var script = ChildProcess.Start(
            "cluster.sh " + command,
            "bash",
            [Repository.PathOf("scripts", "cluster.sh"), command],
            environment: new Dictionary<string, string?>
            {
                ["ORLEANSMQ_CLUSTER_DIR"] = _state,
                ["ORLEANSMQ_SILO_DLL"] = Repository.SiloAssembly, // built by the test build; `up` alone publishes once
            });
        await script.WaitForExitAsync(TimeSpan.FromSeconds(240));
        _lastOutput = $"$ cluster.sh {command} (exit {script.ExitCode}){Environment.NewLine}{script.RawOutput}";
        return (script.ExitCode!.Value, script.RawOutput);
    }
}
