using System.Diagnostics;
using System.Globalization;

namespace OrleansMq.Benchmarks.Workload;

/// <summary>
/// <c>workload --compare</c>: installs the peer servers that are missing (Debian packages), runs
/// <c>shared/peerbench/run-peers.sh</c> (it starts NATS JetStream, RabbitMQ and Redis Streams on loopback, runs W1-W3
/// against each and stops what it started) in the same session as the OrleansMq workloads, and prints OrleansMq / best
/// peer for each workload.
/// </summary>
internal static class PeerComparison
{
    /// <summary>Runs the peers; returns their result lines, or null when the harness is missing or failed.</summary>
    public static async Task<List<Dictionary<string, string>>?> RunPeersAsync(string peerbenchDirectory, string peers, int w2Rate, int w1Repeats)
    {
        var script = Path.Combine(peerbenchDirectory, "run-peers.sh");
        if (!File.Exists(script))
        {
            Console.Error.WriteLine($"compare: {script} not found; pass --peerbench DIR (the shared/peerbench folder).");
            return null;
        }

        if (!await EnsureInstalledAsync(peers))
        {
            return null;
        }

        var results = Path.Combine(Path.GetTempPath(), $"orleansmq-peers-{Guid.NewGuid():N}.txt");
        var info = new ProcessStartInfo("bash") { UseShellExecute = false };
        info.ArgumentList.Add(script);
        info.Environment["PEERS"] = peers;
        info.Environment["WORKLOADS"] = "W1 W2 W3";
        info.Environment["W2_RATES"] = w2Rate.ToString(CultureInfo.InvariantCulture);
        info.Environment["W1_REPEATS"] = w1Repeats.ToString(CultureInfo.InvariantCulture);
        info.Environment["RESULTS"] = results;
        Console.Error.WriteLine($"compare: running {script} for {peers} (this takes a while) ...");
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start run-peers.sh.");
        await process.WaitForExitAsync();
        if (!File.Exists(results))
        {
            Console.Error.WriteLine($"compare: run-peers.sh exited with {process.ExitCode} and wrote no results.");
            return null;
        }

        var lines = new List<Dictionary<string, string>>();
        foreach (var line in await File.ReadAllLinesAsync(results))
        {
            if (line.StartsWith("peer=", StringComparison.Ordinal))
            {
                lines.Add(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(f => f.Split('=', 2))
                    .Where(p => p.Length == 2)
                    .GroupBy(p => p[0])
                    .ToDictionary(g => g.Key, g => g.First()[1]));
            }
        }

        Console.Error.WriteLine($"compare: peer results in {results}");
        return lines;
    }

    /// <summary>
    /// run-peers.sh expects the servers to be installed. Missing Debian packages are installed with apt-get when running
    /// as root; otherwise the comparison stops with the command to run.
    /// </summary>
    private static async Task<bool> EnsureInstalledAsync(string peers)
    {
        var missing = peers.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select((string Package, string Binary) (peer) => peer switch
            {
                _ when peer.StartsWith("nats", StringComparison.Ordinal) => ("nats-server", "/usr/sbin/nats-server"),
                _ when peer.StartsWith("redis", StringComparison.Ordinal) => ("redis-server", "/usr/bin/redis-server"),
                _ when peer.StartsWith("rabbit", StringComparison.Ordinal) => ("rabbitmq-server", "/usr/lib/rabbitmq/bin/rabbitmq-server"),
                _ => ("", ""),
            })
            .Where(p => p.Package.Length > 0 && !File.Exists(p.Binary))
            .Select(p => p.Package)
            .Distinct()
            .ToList();
        if (missing.Count == 0)
        {
            return true;
        }

        var command = $"apt-get install -y {string.Join(' ', missing)}";
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/bin/apt-get"))
        {
            Console.Error.WriteLine($"compare: the peer servers {string.Join(", ", missing)} are not installed; install them with: sudo {command}");
            return false;
        }

        Console.Error.WriteLine($"compare: installing {string.Join(", ", missing)} ({command}) ...");
        var info = new ProcessStartInfo("bash") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"{command} || (apt-get update && {command})");
        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start apt-get.");
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            Console.Error.WriteLine($"compare: '{command}' failed with exit code {process.ExitCode}; install the peers by hand.");
            return false;
        }

        return true;
    }

    /// <summary>
    /// Prints OrleansMq against the best peer of each workload; returns the summary line. W1 compares each broker's best
    /// run (<paramref name="w1Runs"/> are OrleansMq's, as many as each peer's) and, as a second row, each broker's mean.
    /// </summary>
    public static string Print(List<WorkloadResult> ours, IReadOnlyList<double> w1Runs, List<Dictionary<string, string>> peers)
    {
        double? Ours(string name, string key) => ours.Find(r => r.Name == name) is { } r && r.Fields.Exists(f => f.Key == key) ? r[key] : null;
        List<(string Peer, double Value)> Runs(string workload, string key) => peers
            .Where(p => p.GetValueOrDefault("workload") == workload && p.GetValueOrDefault("status") == "ok"
                && double.TryParse(p.GetValueOrDefault(key), NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            .Select(p => (Peer: p["peer"], Value: double.Parse(p[key], CultureInfo.InvariantCulture)))
            .ToList();
        (string Peer, double Value)? Best(string workload, string key, bool higherIsBetter)
        {
            var candidates = Runs(workload, key);
            return candidates.Count == 0 ? null : higherIsBetter ? candidates.MaxBy(c => c.Value) : candidates.MinBy(c => c.Value);
        }

        (string Peer, double Value)? BestMean(string workload, string key)
        {
            var means = Runs(workload, key).GroupBy(c => c.Peer).Select(g => (Peer: g.Key, Value: g.Average(c => c.Value))).ToList();
            return means.Count == 0 ? null : means.MaxBy(c => c.Value);
        }

        var w1Best = w1Runs.Count > 0 ? w1Runs.Max() : Ours("W1", "msgs_per_s");
        var w1Mean = w1Runs.Count > 0 ? w1Runs.Average() : Ours("W1", "msgs_per_s");
        var rows = new (string Name, string Label, double? Mine, (string Peer, double Value)? Peer, bool HigherIsBetter)[]
        {
            ("W1", $"W1 msgs/s (best of {Math.Max(1, w1Runs.Count)} runs each)", w1Best, Best("W1", "msgs_per_s", true), true),
            ("W1_mean", "W1 msgs/s (mean of the runs)", w1Mean, BestMean("W1", "msgs_per_s"), true),
            ("W2", "W2 e2e p99 ms", Ours("W2", "e2e_p99_ms"), Best("W2", "e2e_p99_ms", false), false),
            ("W3", "W3 msgs/s", Ours("W3", "msgs_per_s"), Best("W3", "msgs_per_s", true), true),
        };
        Console.WriteLine("| metric | OrleansMq | best peer | peer value | ratio (OrleansMq / peer; latency: peer / OrleansMq) |");
        Console.WriteLine("|---|---|---|---|---|");
        var summary = new List<string>();
        foreach (var (name, label, mine, best, higher) in rows)
        {
            var ratio = mine is null || best is null || mine == 0 ? double.NaN : higher ? mine.Value / best.Value.Value : best.Value.Value / mine.Value;
            Console.WriteLine($"| {label} | {mine?.ToString("0.##", CultureInfo.InvariantCulture) ?? "NA"} | {best?.Peer ?? "NA"} | {best?.Value.ToString("0.##", CultureInfo.InvariantCulture) ?? "NA"} | {ratio.ToString("0.00", CultureInfo.InvariantCulture)} |");
            summary.Add($"{name}_ratio={ratio.ToString("0.00", CultureInfo.InvariantCulture)}");
        }

        if (w1Runs.Count > 0)
        {
            Console.WriteLine($"OrleansMq W1 runs: {string.Join(", ", w1Runs.Select(r => r.ToString("0", CultureInfo.InvariantCulture)))}; "
                + $"peers' W1 runs: {string.Join(", ", Runs("W1", "msgs_per_s").Select(r => $"{r.Peer} {r.Value.ToString("0", CultureInfo.InvariantCulture)}"))}");
        }

        return "compare: " + string.Join(' ', summary);
    }
}
