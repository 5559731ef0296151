using System.Globalization;
using Npgsql;
using OrleansMq.Client.Hosting;
using OrleansMq.TestKit;
using OrleansMq.TestKit.Postgres;
using OrleansMq.TestKit.Processes;

namespace OrleansMq.Process.Tests.Fixtures;

/// <summary>
/// The cluster topology of docker-compose.yml as local processes: a fresh database on the shared PostgreSQL server and
/// broker silos <c>broker-1</c>…<c>broker-N</c>, each with its own ports and data directory under one temp directory.
/// Failure detection is tuned for tests (<see cref="MembershipArguments"/>). Disposing kills every silo and deletes the
/// directory; a crashed test host's leftovers are removed by the next run (<see cref="OrphanSweeper"/>).
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    /// <summary>
    /// Faster failure detection than Orleans' defaults (probe timeout 5 s, 3 missed probes: 15–20 s to declare a killed
    /// silo dead): a 2 s probe timeout and 2 missed probes detect a SIGKILL in about 5–10 s, while staying clear of
    /// false suspicions on a busy 2-core machine (docs/cluster.md).
    /// </summary>
    public static readonly string[] MembershipArguments =
    [
        "--OrleansMq:Membership:ProbeTimeout=00:00:02",
        "--OrleansMq:Membership:NumMissedProbesLimit=2",
        "--OrleansMq:Membership:IAmAliveTablePublishTimeout=00:00:05",
    ];

    /// <summary>
    /// Consumer-group timing for tests: members heartbeat every second and expire after 5 s (defaults 10 s and 30 s), so
    /// a group grain that moved off a killed silo hears from its members, and re-assigns, within a few seconds.
    /// </summary>
    public static readonly string[] ConsumerGroupArguments =
    [
        "--OrleansMq:ConsumerGroups:HeartbeatInterval=00:00:01",
        "--OrleansMq:ConsumerGroups:MemberExpiry=00:00:05",
        "--OrleansMq:ConsumerGroups:CheckInterval=00:00:01",
    ];

    /// <summary>Bound for a silo start on a loaded CI machine (a start measures 2–6 s here).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private const string DirectoryPrefix = "orleansmq-proc-";
    private readonly TempDirectory _root;
    private readonly LogBuffer _clientLogs = new();
    private readonly List<MqClient> _clients = [];

    private ProcessCluster(PostgresServer server, string database, TempDirectory root, IReadOnlyList<SiloProcess> silos, string clusterId)
    {
        Server = server;
        Database = database;
        _root = root;
        Silos = silos;
        ClusterId = clusterId;
    }

    /// <summary>The PostgreSQL server.</summary>
    public PostgresServer Server { get; }

    /// <summary>The cluster's database.</summary>
    public string Database { get; }

    /// <summary>Connection string of the cluster's database (what silos and discovering clients use).</summary>
    public string ConnectionString => Server.ConnectionString(Database);

    /// <summary>Cluster id.</summary>
    public string ClusterId { get; }

    /// <summary>The silos, <c>broker-1</c> first.</summary>
    public IReadOnlyList<SiloProcess> Silos { get; }

    /// <summary>The gateways of all silos, for a static list.</summary>
    public string[] Gateways => Silos.Select(s => s.Gateway).ToArray();

    /// <summary>Creates a database and starts <paramref name="silos"/> silos at once; returns when all are healthy.</summary>
    public static async Task<ProcessCluster> StartAsync(PostgresServer server, int silos = 3, IEnumerable<string>? extraArguments = null)
    {
        OrphanSweeper.Sweep(DirectoryPrefix);
        var root = new TempDirectory(DirectoryPrefix.TrimEnd('-'));
        OrphanSweeper.Mark(root.Path);
        var database = await server.CreateDatabaseAsync("cluster");
        var clusterId = "c" + Guid.NewGuid().ToString("N")[..8];
        string[] arguments = [.. MembershipArguments, .. ConsumerGroupArguments, .. extraArguments ?? []];
        var processes = new List<SiloProcess>();
        for (var i = 1; i <= silos; i++)
        {
            var data = root.Combine($"broker-{i}");
            Directory.CreateDirectory(data);
            processes.Add(new SiloProcess($"broker-{i}", data, server.ConnectionString(database), clusterId, arguments));
        }

        var cluster = new ProcessCluster(server, database, root, processes, clusterId);
        try
        {
            await cluster.StartAllAsync();
            return cluster;
        }
        catch (Exception e)
        {
            var logs = cluster.DescribeLogs();
            await cluster.DisposeAsync();
            throw new InvalidOperationException($"The {silos}-silo cluster did not start: {e.Message}{Environment.NewLine}{logs}", e);
        }
    }

    /// <summary>Starts every stopped silo at once and waits until all are healthy.</summary>
    public async Task StartAllAsync()
    {
        foreach (var silo in Silos.Where(s => !s.IsRunning))
        {
            silo.Start();
        }

        await Task.WhenAll(Silos.Select(s => s.WaitHealthyAsync(StartTimeout)));
    }

    /// <summary>Connects a client: through PostgreSQL gateway discovery (default) or the static gateway list.</summary>
    /// <param name="discoverThroughPostgres">False: use <see cref="Gateways"/> instead of the database.</param>
    /// <param name="configure">Further client settings.</param>
    public async Task<MqClient> ConnectAsync(bool discoverThroughPostgres = true, Action<MqClientOptions>? configure = null)
    {
        var options = new MqClientOptions
        {
            ClusterId = ClusterId,
            ResponseTimeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = TimeSpan.FromSeconds(60),
        };
        if (discoverThroughPostgres)
        {
            options.ConnectionString = ConnectionString;
        }
        else
        {
            options.Gateways = Gateways;
        }

        configure?.Invoke(options);
        var client = await MqClient.ConnectAsync(options, _clientLogs.CreateFactory(), TestContext.Current.CancellationToken);
        _clients.Add(client);
        return client;
    }

    /// <summary>Membership rows of this cluster in PostgreSQL: silo name → status (3 Active, 6 Dead), newest generation per name.</summary>
    public async Task<Dictionary<string, int>> ReadMembershipAsync()
    {
        await using var connection = new NpgsqlConnection(Server.SuperuserConnectionString(Database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT DISTINCT ON (SiloName) SiloName, Status FROM OrleansMembershipTable WHERE DeploymentId = @cluster ORDER BY SiloName, Generation DESC",
            connection);
        command.Parameters.AddWithValue("cluster", ClusterId);
        await using var reader = await command.ExecuteReaderAsync();
        var members = new Dictionary<string, int>();
        while (await reader.ReadAsync())
        {
            members[reader.GetString(0)] = reader.GetInt32(1);
        }

        return members;
    }

    /// <summary>Every silo's output and the test clients' logs.</summary>
    public string DescribeLogs()
    {
        var builder = new System.Text.StringBuilder();
        builder.AppendLine(CultureInfo.InvariantCulture, $"Cluster {ClusterId}, database {Database} on 127.0.0.1:{Server.Port}");
        foreach (var silo in Silos)
        {
            builder.AppendLine(CultureInfo.InvariantCulture, $"{silo.Name}: silo {silo.SiloPort}, gateway {silo.GatewayPort}, http {silo.HttpPort}, data {silo.DataDirectory}");
            builder.AppendLine(silo.DescribeOutput());
        }

        builder.AppendLine("===== test clients =====");
        builder.AppendLine(_clientLogs.ToString());
        return builder.ToString();
    }

    /// <summary>Closes the clients, kills every silo and deletes the cluster's directory (the database stays until the server stops).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            try
            {
                await client.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is TimeoutException or OrleansException or ObjectDisposedException or OperationCanceledException)
            {
                // A client of a dead cluster may not close cleanly; the silos are killed below anyway.
            }
        }

        foreach (var silo in Silos)
        {
            await silo.DisposeAsync();
        }

        _root.Dispose();
    }
}
