using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using OrleansMq.TestKit;
using OrleansMq.TestKit.Processes;

namespace OrleansMq.Process.Tests.Fixtures;

/// <summary>
/// One broker silo as a real process (<c>dotnet OrleansMq.Silo.dll</c> from the Silo project's build output) in cluster
/// mode, with its own name, data directory and ports, which it keeps across restarts. Every incarnation's output is kept
/// for failure messages; disposing kills a running incarnation.
/// </summary>
/// <remarks>Not thread-safe: one test drives it.</remarks>
public sealed class SiloProcess : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly List<ChildProcess> _incarnations = [];
    private readonly IReadOnlyList<string> _arguments;
    private Stopwatch _started = new();

    /// <summary>Describes a silo; <see cref="Start"/> starts it.</summary>
    /// <param name="name">Broker name (also the silo name).</param>
    /// <param name="dataDirectory">Data directory (commit log, broker identity).</param>
    /// <param name="connectionString">The cluster's PostgreSQL database.</param>
    /// <param name="clusterId">Cluster id shared with the other silos and clients.</param>
    /// <param name="extraArguments">More command-line arguments (e.g. membership tuning).</param>
    public SiloProcess(string name, string dataDirectory, string connectionString, string clusterId, IEnumerable<string> extraArguments)
    {
        Name = name;
        DataDirectory = dataDirectory;
        (SiloPort, GatewayPort, HttpPort) = (FreePorts.Next(), FreePorts.Next(), FreePorts.Next());
        _arguments =
        [
            Repository.SiloAssembly,
            "--cluster", "postgres",
            "--connection", connectionString,
            "--cluster-id", clusterId,
            "--name", name,
            "--data", dataDirectory,
            "--address", "127.0.0.1",
            "--silo-port", SiloPort.ToString(CultureInfo.InvariantCulture),
            "--gateway-port", GatewayPort.ToString(CultureInfo.InvariantCulture),
            "--http-port", HttpPort.ToString(CultureInfo.InvariantCulture),
            .. extraArguments,
        ];
    }

    /// <summary>Broker name.</summary>
    public string Name { get; }

    /// <summary>Data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; }

    /// <summary>Client gateway port.</summary>
    public int GatewayPort { get; }

    /// <summary>HTTP port (health, dashboard).</summary>
    public int HttpPort { get; }

    /// <summary>The gateway as <c>host:port</c>.</summary>
    public string Gateway => $"127.0.0.1:{GatewayPort}";

    /// <summary>The current incarnation, if any.</summary>
    public ChildProcess? Current => _incarnations.Count == 0 ? null : _incarnations[^1];

    /// <summary>True while the current incarnation runs.</summary>
    public bool IsRunning => Current is { HasExited: false };

    /// <summary>Time from the last start to the first healthy answer.</summary>
    public TimeSpan LastStartupTime { get; private set; }

    /// <summary>Starts a new incarnation (the previous one must have ended) without waiting for it to be healthy.</summary>
    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"Silo {Name} is already running (pid {Current!.Id}).");
        }

        var process = ChildProcess.Start(Name, "dotnet", _arguments, workingDirectory: DataDirectory, environment: new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        });
        _incarnations.Add(process);
        File.WriteAllText(Path.Combine(DataDirectory, "..", Name + ".pid"), process.Id.ToString(CultureInfo.InvariantCulture));
        _started = Stopwatch.StartNew();
    }

    /// <summary>Waits until <c>/health</c> answers 200 (the silo is an active member); fails at once if the process exits.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var process = Current ?? throw new InvalidOperationException($"Silo {Name} was never started.");
        string last = "no answer yet";
        await Wait.UntilAsync(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"Silo {Name} exited with code {process.ExitCode} while starting:{Environment.NewLine}{process.Tail(120)}");
                }

                try
                {
                    using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/health"));
                    last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException e)
                {
                    last = e.Message;
                    return false;
                }
                catch (TaskCanceledException)
                {
                    last = "health request timed out";
                    return false;
                }
            },
            $"silo {Name} to report healthy on http://127.0.0.1:{HttpPort}/health",
            timeout,
            () => $"{last}; last output:{Environment.NewLine}{process.Tail(60)}");
        LastStartupTime = _started.Elapsed;
    }

    /// <summary>The health report of the running silo.</summary>
    public async Task<HealthReport> GetHealthAsync() =>
        (await Http.GetFromJsonAsync<HealthReport>(new Uri($"http://127.0.0.1:{HttpPort}/health")))!;

    /// <summary>Kills the silo with SIGKILL, as a crash would.</summary>
    public Task KillAsync() => Current?.KillAsync() ?? Task.CompletedTask;

    /// <summary>Stops the silo gracefully (SIGTERM) and returns its exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout) => Current is { } process ? await process.StopAsync(timeout) : 0;

    /// <summary>Output of every incarnation, oldest first.</summary>
    public string DescribeOutput()
    {
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < _incarnations.Count; i++)
        {
            var process = _incarnations[i];
            builder.AppendLine(CultureInfo.InvariantCulture, $"===== {Name} incarnation {i + 1} (pid {process.Id}, {(process.HasExited ? $"exit code {process.ExitCode}" : "running")}) =====");
            builder.AppendLine(process.Output);
        }

        return builder.ToString();
    }

    /// <summary>Kills the running incarnation.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var process in _incarnations)
        {
            await process.DisposeAsync();
        }
    }

    /// <summary>Body of <c>GET /health</c>.</summary>
    public sealed record HealthReport(string Status, string Broker, string Silo);
}
