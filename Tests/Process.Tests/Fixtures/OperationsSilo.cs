using System.Globalization;
using OrleansMq.Client.Hosting;
using OrleansMq.TestKit;
using OrleansMq.TestKit.Processes;

namespace OrleansMq.Process.Tests.Fixtures;

/// <summary>
/// One embedded-mode broker as a real process (<c>dotnet OrleansMq.Silo.dll</c>) serving the console, the JSON API,
/// <c>/metrics</c>, health and the dashboard on a free HTTP port, shared by the operations tests; a client connected to
/// its gateway. The console samples every 0.5 s and lag metrics are collected every second, so tests see changes fast.
/// </summary>
public sealed class OperationsSilo : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("orleansmq-ops");
    private ChildProcess? _process;

    /// <summary>Broker name.</summary>
    public string BrokerName { get; } = "ops-broker";

    /// <summary>Cluster id (unique per run).</summary>
    public string ClusterId { get; } = "ops-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>HTTP port.</summary>
    public int HttpPort { get; } = FreePorts.Next();

    /// <summary>Gateway port.</summary>
    public int GatewayPort { get; } = FreePorts.Next();

    /// <summary>The gateway as <c>host:port</c>.</summary>
    public string Gateway => $"127.0.0.1:{GatewayPort}";

    /// <summary>The HTTP base address.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}");

    /// <summary>An HTTP client for <see cref="BaseAddress"/> (no redirects followed).</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>A client connected to the broker.</summary>
    public MqClient Client { get; private set; } = null!;

    /// <summary>The silo's output so far.</summary>
    public string Output => _process?.Output ?? "";

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        var data = _directory.Combine("data");
        Directory.CreateDirectory(data);
        _process = ChildProcess.Start(BrokerName, "dotnet",
        [
            Repository.SiloAssembly,
            "--name", BrokerName,
            "--data", data,
            "--cluster-id", ClusterId,
            "--silo-port", FreePorts.Next().ToString(CultureInfo.InvariantCulture),
            "--gateway-port", GatewayPort.ToString(CultureInfo.InvariantCulture),
            "--http-port", HttpPort.ToString(CultureInfo.InvariantCulture),
            "--OrleansMq:Operations:ConsoleSampleInterval=00:00:00.5",
            "--OrleansMq:Operations:DashboardProfiling=true",
            "--OrleansMq:Metrics:LagInterval=00:00:01",
            "--OrleansMq:Storage:SegmentSize=67108864",
        ], workingDirectory: data, environment: new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        });
        Http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var last = "no answer yet";
        await Wait.UntilAsync(
            async () =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"The operations silo exited with code {_process.ExitCode}:{Environment.NewLine}{_process.Tail(80)}");
                }

                try
                {
                    using var response = await Http.GetAsync(new Uri("/health", UriKind.Relative));
                    last = $"{(int)response.StatusCode}";
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException e)
                {
                    last = e.Message;
                    return false;
                }
            },
            $"the operations silo to report healthy on {BaseAddress}health",
            TimeSpan.FromSeconds(120),
            () => $"{last}; output:{Environment.NewLine}{_process.Tail(40)}");
        Client = await MqClient.ConnectAsync(new MqClientOptions { Gateways = [Gateway], ClusterId = ClusterId, ResponseTimeout = TimeSpan.FromSeconds(20) });
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }

        Http?.Dispose();
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _directory.Dispose();
    }
}

/// <summary>The operations tests share one broker process.</summary>
[CollectionDefinition(Name)]
public sealed class OperationsCollection : ICollectionFixture<OperationsSilo>
{
    /// <summary>Collection name.</summary>
    public const string Name = "Operations";
}
