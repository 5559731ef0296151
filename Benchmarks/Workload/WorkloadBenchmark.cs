using System.Globalization;
using System.Text.Json;
using OrleansMq.Benchmarks.Common;
using OrleansMq.Client.Hosting;

namespace OrleansMq.Benchmarks.Workload;

/// <summary>
/// <c>workload</c> suite (issue #8): starts an embedded broker silo as its own process (or uses <c>--gateway</c>),
/// measures the disk's fdatasync bandwidth in the same run, runs the workloads and prints one result line each, a
/// Markdown table, a JSON file, and the summary line
/// <c>workload: W1_msgs=… W1_disk_ratio=… W2_e2e_p99_ms=… W3_msgs=… W4_ratio=…</c> (plus <c>W5_ratio=… W5_late_p99_ms=…</c>
/// when W5 ran). W5 runs last: it restarts the broker.
/// </summary>
internal static class WorkloadBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var settings = WorkloadSettings.Parse(args);
        if (settings is null)
        {
            Console.Error.WriteLine(WorkloadSettings.Usage);
            return 2;
        }

        Directory.CreateDirectory(settings.DataRoot);
        await using var silo = settings.Gateway is null ? await BenchSilo.StartAsync(settings.DataRoot, settings.SiloArguments, settings.SiloEnvironment) : null;
        var diskDirectory = silo?.DataDirectory ?? settings.DataRoot;
        var measured = DiskProbe.Measure(diskDirectory, settings.DiskBytes, TimeSpan.FromSeconds(settings.DiskQuietWait));
        var disk = measured.BytesPerSecond;
        Console.Error.WriteLine($"disk: {disk / 1e6:F0} MB/s sequential write with fdatasync ({settings.DiskBytes >> 20} MiB in {diskDirectory}); {measured.Quiet}");

        await using var client = await MqClient.ConnectAsync(new MqClientOptions
        {
            Gateways = [settings.Gateway ?? $"127.0.0.1:{silo!.GatewayPort}"],
            ClusterId = silo?.ClusterId ?? settings.ClusterId,
            ResponseTimeout = TimeSpan.FromSeconds(30),
        });
        var cpu = new CpuMeter(silo is null ? [] : [silo.Pid]);
        var workloads = new Workloads(client, settings, cpu);
        var results = new List<WorkloadResult>();
        foreach (var name in settings.Names.Order())
        {
            Console.Error.WriteLine($"running {name} ...");
            var result = name switch
            {
                "W1" => await workloads.MaxPublishAsync("W1", topics: 1, queuesPerTopic: 16),
                "W2" => await workloads.FixedRateAsync(),
                "W3" => await workloads.CatchUpAsync(),
                "W5" => await workloads.TimersAsync(silo),
                _ => await workloads.MaxPublishAsync("W4", topics: 10, queuesPerTopic: 100),
            };
            if (name == "W1")
            {
                result.Add("disk_mb_per_s", Math.Round(disk / (1024.0 * 1024.0), 1));
                result.Add("disk_ratio", Math.Round(result["mb_per_s"] / (disk / (1024.0 * 1024.0)), 3));
            }

            results.Add(result);
            Console.WriteLine(result.Line());
        }

        PrintTable(results);
        var file = WriteJson(settings, results, measured);
        Console.Error.WriteLine($"results: {file}");
        if (settings.Compare)
        {
            // Stop our broker first so the peers run on the same, otherwise idle machine.
            await client.DisposeAsync();
            if (silo is not null)
            {
                await silo.DisposeAsync();
            }

            var w1Runs = new List<double>();
            // Repeats only serve the comparison: none when peerbench is missing (RunPeersAsync then says so).
            if (results.Find(r => r.Name == "W1") is { } w1 && File.Exists(Path.Combine(settings.PeerbenchDirectory, "run-peers.sh")))
            {
                w1Runs.Add(w1["msgs_per_s"]);
                for (var run = 2; run <= settings.W1Repeats; run++)
                {
                    if (await RunW1AgainAsync(args) is { } again)
                    {
                        w1Runs.Add(again);
                    }
                }
            }

            // Our broker's data was just deleted: the peers start on a quiet disk too (see DiskProbe).
            Console.Error.WriteLine($"compare: disk {DiskProbe.WaitUntilQuiet(settings.DataRoot, TimeSpan.FromSeconds(settings.DiskQuietWait))} before the peers");
            if (await PeerComparison.RunPeersAsync(settings.PeerbenchDirectory, settings.Peers, settings.Rate, settings.W1Repeats) is { } peers)
            {
                Console.WriteLine(PeerComparison.Print(results, w1Runs, peers));
            }
        }

        Console.WriteLine(Summary(results));
        return 0;
    }

    /// <summary>
    /// One more W1 for the comparison, in a fresh runner process with its own fresh broker (as the peers' harness runs
    /// each W1 repeat in a fresh process): the same options without the comparison. Returns its msgs/s, or null if it failed.
    /// </summary>
    private static async Task<double?> RunW1AgainAsync(string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            info.ArgumentList.Add(typeof(WorkloadBenchmark).Assembly.Location);
        }

        info.ArgumentList.Add("workload");
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "workload":
                    break;
                case "--compare":
                    break;
                case "--name" or "--peers" or "--peerbench" or "--w1-repeats":
                    i++;
                    break;
                default:
                    info.ArgumentList.Add(args[i]);
                    break;
            }
        }

        info.ArgumentList.Add("--name");
        info.ArgumentList.Add("W1");
        Console.Error.WriteLine("compare: running W1 again in a fresh runner and broker ...");
        using var process = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("Could not start the runner again.");
        double? msgs = null;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("workload=W1 ", StringComparison.Ordinal))
            {
                Console.WriteLine(line);
                var field = line.Split(' ').FirstOrDefault(f => f.StartsWith("msgs_per_s=", StringComparison.Ordinal));
                msgs = field is null ? null : double.Parse(field["msgs_per_s=".Length..], CultureInfo.InvariantCulture);
            }
        }

        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || msgs is null)
        {
            Console.Error.WriteLine($"compare: the repeated W1 run exited with {process.ExitCode} and reported {(msgs is null ? "no result" : "a result")}; comparing the runs that did.");
            return null;
        }

        return msgs;
    }

    private static string Summary(List<WorkloadResult> results)
    {
        string Get(string name, string key, string format = "0")
        {
            var result = results.Find(r => r.Name == name);
            return result is null ? "NA" : result[key].ToString(format, CultureInfo.InvariantCulture);
        }

        var w1 = results.Find(r => r.Name == "W1");
        var w4 = results.Find(r => r.Name == "W4");
        var ratio = w1 is null || w4 is null ? "NA" : (w4["msgs_per_s"] / w1["msgs_per_s"]).ToString("0.00", CultureInfo.InvariantCulture);
        var w5 = results.Exists(r => r.Name == "W5") ? $" W5_ratio={Get("W5", "ratio", "0.00")} W5_late_p99_ms={Get("W5", "late_p99_ms", "0.0")}" : "";
        return $"workload: W1_msgs={Get("W1", "msgs_per_s")} W1_disk_ratio={Get("W1", "disk_ratio", "0.00")} "
            + $"W2_e2e_p99_ms={Get("W2", "e2e_p99_ms", "0.00")} W3_msgs={Get("W3", "msgs_per_s")} W4_ratio={ratio}{w5}";
    }

    private static void PrintTable(List<WorkloadResult> results)
    {
        Console.WriteLine();
        Console.WriteLine("| workload | msgs/s | MB/s | p50 ms | p99 ms | p99.9 ms | max ms | cpu client | cpu broker | cpu other |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            var prefix = r.Name == "W2" ? "e2e" : "pub";
            string F(string key) => r.Fields.Exists(f => f.Key == key) ? r[key].ToString("0.##", CultureInfo.InvariantCulture) : "";
            Console.WriteLine($"| {r.Name} | {F("msgs_per_s")} | {F("mb_per_s")} | {F($"{prefix}_p50_ms")} | {F($"{prefix}_p99_ms")} | {F($"{prefix}_p999_ms")} | {F($"{prefix}_max_ms")} | {F("cpu_client")} | {F("cpu_broker")} | {F("cpu_other")} |");
        }

        Console.WriteLine();
        if (results.Find(r => r.Name == "W5") is { } w5)
        {
            // The row above is W1 with the timers pending; this one sets it against the baseline and adds the timer figures.
            string F(string key) => w5.Fields.Exists(f => f.Key == key) ? w5[key].ToString("0.##", CultureInfo.InvariantCulture) : "";
            Console.WriteLine("| W5 | baseline msgs/s | with timers msgs/s | ratio | timers pending | load msgs/s | late p50 ms | late p99 ms | late max ms | early | missing | RSS before → after MB | B/timer (RSS) | B/timer (anon) | restart s |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            Console.WriteLine($"| W5 | {F("base_msgs_per_s")} | {F("msgs_per_s")} | {F("ratio")} | {F("pending")} | {F("load_msgs_per_s")} | {F("late_p50_ms")} | {F("late_p99_ms")} | {F("late_max_ms")} | {F("early")} | {F("missing")} | {F("rss_before_mb")} → {F("rss_after_mb")} | {F("rss_bytes_per_timer")} | {F("anon_bytes_per_timer")} | {F("recovery_s")} |");
            Console.WriteLine();
        }
    }

    private static string WriteJson(WorkloadSettings settings, List<WorkloadResult> results, DiskMeasurement disk)
    {
        Directory.CreateDirectory(settings.OutputDirectory);
        var file = Path.Combine(settings.OutputDirectory, $"workload-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
        var document = new Dictionary<string, object>
        {
            ["time"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}",
            ["disk_bytes_per_s"] = Math.Round(disk.BytesPerSecond),
            ["disk_quiet_wait_s"] = Math.Round(disk.Quiet.WaitedSeconds, 1),
            ["disk_quiet"] = disk.Quiet.Quiet,
            ["settings"] = settings,
            ["results"] = results.ToDictionary(r => r.Name, r => r.Fields.ToDictionary(f => f.Key, f => f.Value)),
        };
        File.WriteAllText(file, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        return file;
    }
}
