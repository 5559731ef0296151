using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OrleansMq.Benchmarks.Common;

/// <summary>
/// A broker silo process started for a benchmark run: the Release build of <c>Silo/</c>, embedded mode, free loopback
/// ports, a fresh data directory, output captured to a log file. It can be restarted on the same data (crash
/// recovery); disposing stops it and deletes its data.
/// </summary>
internal sealed class BenchSilo : IAsyncDisposable
{
    private readonly string _dataRoot;
    private readonly string[] _arguments;
    private readonly string[] _environment;
    private Process _process;
    private int _disposed;

    private BenchSilo(Process process, string dataDirectory, int gatewayPort, string log, string dataRoot, string[] arguments, string[] environment)
    {
        _process = process;
        DataDirectory = dataDirectory;
        GatewayPort = gatewayPort;
        LogFile = log;
        _dataRoot = dataRoot;
        _arguments = arguments;
        _environment = environment;
    }

    public int Pid => _process.Id;

    public int GatewayPort { get; private set; }

    public string DataDirectory { get; }

    public string LogFile { get; private set; }

    public string ClusterId => "orleansmq-bench";

    /// <summary>Starts the silo and waits (bounded) until its gateway accepts connections.</summary>
    /// <param name="dataRoot">Folder for the silo's data directory and log.</param>
    /// <param name="extraArguments">Command-line arguments added to the silo's.</param>
    /// <param name="environment"><c>NAME=VALUE</c> sets a variable of the silo process, <c>NAME=</c> removes it; the rest is inherited.</param>
    public static async Task<BenchSilo> StartAsync(string dataRoot, IEnumerable<string> extraArguments, IEnumerable<string>? environment = null)
    {
        var data = Path.Combine(dataRoot, $"silo-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var arguments = extraArguments.ToArray();
        var variables = environment?.ToArray() ?? [];
        var (process, gatewayPort, log) = Launch(dataRoot, data, arguments, variables);
        var silo = new BenchSilo(process, data, gatewayPort, log, dataRoot, arguments, variables);
        await silo.WaitForGatewayAsync(TimeSpan.FromSeconds(60));
        return silo;
    }

    /// <summary>
    /// Kills the silo (SIGKILL, as a crash would) and starts it again on the same data directory with fresh ports, then
    /// waits (bounded by <paramref name="timeout"/>) until its gateway accepts connections. <see cref="Pid"/>,
    /// <see cref="GatewayPort"/> and <see cref="LogFile"/> change; clients of the old gateway must reconnect.
    /// </summary>
    /// <returns>When the new process was started (<see cref="Stopwatch.GetTimestamp"/>).</returns>
    public async Task<long> RestartAsync(TimeSpan timeout)
    {
        await StopProcessAsync();
        var started = Stopwatch.GetTimestamp();
        (_process, GatewayPort, LogFile) = Launch(_dataRoot, DataDirectory, _arguments, _environment);
        await WaitForGatewayAsync(timeout);
        return started;
    }

    private async Task WaitForGatewayAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!await IsListeningAsync(GatewayPort))
        {
            if (_process.HasExited || deadline.Elapsed > timeout)
            {
                var exited = _process.HasExited;
                await DisposeAsync();
                throw new InvalidOperationException($"The silo did not open its gateway port {GatewayPort} within {timeout.TotalSeconds:0} s (exited: {exited}); see {LogFile}.");
            }

            await Task.Delay(100);
        }
    }

    private static (Process Process, int GatewayPort, string Log) Launch(string dataRoot, string data, IEnumerable<string> extraArguments, string[] environment)
    {
        var dll = LocateSilo();
        var (siloPort, gatewayPort, httpPort) = (FreePort(), FreePort(), FreePort());
        var log = Path.Combine(dataRoot, $"silo-{gatewayPort}.log");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[dll, "--data", data, "--name", "bench-broker", "--cluster-id", "orleansmq-bench",
            "--silo-port", $"{siloPort}", "--gateway-port", $"{gatewayPort}", "--http-port", $"{httpPort}"])
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var argument in extraArguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_gcServer"] = "1";

        // As the Dockerfile, scripts/cluster.sh and `dotnet run --project Silo` start a broker (docs/operations.md, "Runtime settings").
        info.Environment["DOTNET_TC_CallCountingDelayMs"] = "0";
        foreach (var variable in environment)
        {
            var split = variable.IndexOf('=', StringComparison.Ordinal);
            var (name, value) = (variable[..split], variable[(split + 1)..]);
            if (value.Length == 0)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the silo process.");
        var writer = new StreamWriter(log) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (writer) { writer.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (writer) { writer.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, gatewayPort, log);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopProcessAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StopProcessAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        _process.Dispose();
    }

    /// <summary>The Silo build next to this benchmark's configuration (both are built by <c>dotnet run --project Benchmarks</c>).</summary>
    private static string LocateSilo()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "OrleansMq.sln")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            throw new InvalidOperationException("Run the benchmark from the repository (OrleansMq.sln not found above " + AppContext.BaseDirectory + ").");
        }

#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var dll = Path.Combine(directory.FullName, "Silo", "bin", configuration, "net10.0", "OrleansMq.Silo.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing; build the solution in {configuration} first.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> IsListeningAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
