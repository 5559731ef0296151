using System.Globalization;
using OrleansMq.Client.Producing;

namespace OrleansMq.Benchmarks.Workload;

/// <summary>Command-line settings of the workload runner.</summary>
internal sealed record WorkloadSettings
{
    public string[] Names { get; init; } = ["W1", "W2", "W3", "W4"];

    public double Seconds { get; init; } = 15;

    public double Warmup { get; init; } = 3;

    public int Size { get; init; } = 1024;

    public int InFlight { get; init; } = 1000;

    public int Rate { get; init; } = 10_000;

    /// <summary>The producers' queue selection (SDK default: sticky).</summary>
    public QueueSelection QueueSelection { get; init; } = new ProducerOptions().QueueSelection;

    /// <summary>The producers' bytes per queue under sticky selection (SDK default).</summary>
    public int StickyQueueBytes { get; init; } = new ProducerOptions().StickyQueueBytes;

    /// <summary>The producers' batches in flight per queue; null for the SDK's default (2 with idempotence, 1 without).</summary>
    public int? BatchesInFlight { get; init; }

    /// <summary>The producers' least bytes for a batch beside one in flight; null for the SDK's default (32 KiB).</summary>
    public int? MinPipelinedBatchBytes { get; init; }

    /// <summary>The producers' idempotence (SDK default: on).</summary>
    public bool Idempotence { get; init; } = new ProducerOptions().EnableIdempotence;

    public long Prefill { get; init; } = 1_000_000;

    public double PrefillSeconds { get; init; } = 60;

    public double DrainSeconds { get; init; } = 180;

    /// <summary>W5: timers loaded and left pending (due in 2 h) while produce and delivery are measured.</summary>
    public long Timers { get; init; } = 1_000_000;

    /// <summary>W5: body bytes of each timer message (small, so a million stay a few hundred MB of log).</summary>
    public int TimerSize { get; init; } = 128;

    /// <summary>W5: upper bound on loading the timers; the run fails if fewer are pending by then.</summary>
    public double TimerLoadSeconds { get; init; } = 900;

    /// <summary>W5: timers due during the run, on the real clock, whose delivery lateness is measured.</summary>
    public int LateTimers { get; init; } = 20_000;

    /// <summary>W5: the due times of <see cref="LateTimers"/> are spread evenly over this many seconds.</summary>
    public double LateSpreadSeconds { get; init; } = 8;

    /// <summary>W5: unmeasured publishing before the baseline, until the commit log holds this many bytes (steady state; see <c>Workloads.WarmUpAsync</c>).</summary>
    public long TimerWarmupBytes { get; init; } = 4L << 30;

    /// <summary>
    /// W5 control run: load the same messages without a delivery time (stored at once, nothing pending), so the
    /// W5 ratio of a control run shows what writing them costs the next W1 run by itself, without pending timers.
    /// </summary>
    public bool TimerControl { get; init; }

    /// <summary>W5: also kill and restart the broker with the timers pending, and time the recovery.</summary>
    public bool TimerRestart { get; init; } = true;

    /// <summary>An existing cluster's gateway; null starts an embedded silo.</summary>
    public string? Gateway { get; init; }

    public string ClusterId { get; init; } = "orleansmq";

    public string DataRoot { get; init; } = Path.Combine(Path.GetTempPath(), "orleansmq-bench");

    public string OutputDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "orleansmq-bench", "results");

    public long DiskBytes { get; init; } = 1L << 30;

    /// <summary>Longest wait for quick disk syncs after the disk probe and before the peers (0: none); see DiskProbe.</summary>
    public double DiskQuietWait { get; init; } = Common.DiskProbe.DefaultMaxWait.TotalSeconds;

    /// <summary>Also run the peer brokers (shared/peerbench) and print ratios.</summary>
    public bool Compare { get; init; }

    /// <summary>The peerbench folder for <see cref="Compare"/>.</summary>
    public string PeerbenchDirectory { get; init; } = DefaultPeerbench();

    /// <summary>
    /// W1 runs per broker under <see cref="Compare"/>: peerbench runs each peer's W1 this often (its <c>W1_REPEATS</c>,
    /// passed on) and the comparison takes each broker's best, so OrleansMq runs W1 as often, each later run in a fresh
    /// runner process with a fresh broker, as the peers' harness runs each repeat in a fresh process.
    /// </summary>
    public int W1Repeats { get; init; } = 2;

    /// <summary>Peers to compare with.</summary>
    public string Peers { get; init; } = "nats rabbit-quorum redis redis-always";

    /// <summary>Extra arguments for the silo (e.g. <c>--flush async:200ms</c>).</summary>
    public List<string> SiloArguments { get; init; } = [];

    /// <summary>
    /// Environment of the silo process: <c>NAME=VALUE</c> sets a variable, <c>NAME=</c> removes it. The silo otherwise
    /// inherits the runner's environment, so runtime knobs (<c>DOTNET_*</c>) set for the runner reach both processes.
    /// </summary>
    public List<string> SiloEnvironment { get; init; } = [];

    public const string Usage = """
        usage: dotnet run -c Release --project Benchmarks -- workload [--name W1|W2|W3|W4|W5|all|W1,W5,...] [options]
          all = W1-W4; W5 (1,000,000 pending timers, ~3 min) runs only when named
          --seconds 15 --warmup 3 --size 1024 --inflight 1000 --rate 10000
          --prefill 1000000 --prefill-seconds 60 --drain-seconds 180
          --queue-selection sticky|round-robin --sticky-bytes 1MiB    the producers' spreading (SDK defaults)
          --batches-in-flight 4 --no-idempotence        batches in flight per queue, idempotence (SDK defaults)
          --min-pipelined-bytes 32KiB                   least bytes of a batch beside one in flight (SDK default)
          W5: --timers 1000000 --timer-size 128 --timer-load-seconds 900 --timer-warmup-bytes 4GiB
              --late-timers 20000 --late-spread 8 --no-restart
              --timer-control    load the same messages without a delivery time: the control for W5_ratio
          --gateway host:port --cluster-id id      use a running cluster instead of starting a silo
          --data DIR --out DIR --disk-bytes 1GiB     --silo-arg ARG (repeatable, passed to the silo)
          --disk-quiet-wait 60   most seconds to wait, after the disk probe and before the peers, until the disk's
                                 syncs are quick again (deleting GiBs stalls them for ~10 s on ext4 with discard); 0: no wait
          --silo-env NAME=VALUE (repeatable; NAME= removes it)   the silo's environment (else the runner's)
          --compare [--peerbench DIR] [--peers "nats rabbit-quorum redis redis-always"]
                                                     also run the peer brokers and print OrleansMq / best peer
          --w1-repeats 2                             W1 runs per broker under --compare (each broker's best is compared)
        """;

    public static WorkloadSettings? Parse(string[] args)
    {
        var s = new WorkloadSettings();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--name" when value is not null:
                    s = s with { Names = value.Equals("all", StringComparison.OrdinalIgnoreCase) ? s.Names : value.ToUpperInvariant().Split(',') };
                    break;
                case "--seconds" when value is not null: s = s with { Seconds = D(value) }; break;
                case "--warmup" when value is not null: s = s with { Warmup = D(value) }; break;
                case "--size" when value is not null: s = s with { Size = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--inflight" when value is not null: s = s with { InFlight = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--queue-selection" when value is not null:
                    QueueSelection? selection = value.ToLowerInvariant() switch
                    {
                        "sticky" => QueueSelection.Sticky,
                        "round-robin" => QueueSelection.RoundRobin,
                        _ => null,
                    };
                    if (selection is null)
                    {
                        Console.Error.WriteLine($"--queue-selection is '{value}'; it must be sticky or round-robin");
                        return null;
                    }

                    s = s with { QueueSelection = selection.Value };
                    break;
                case "--sticky-bytes" when value is not null: s = s with { StickyQueueBytes = checked((int)ParseSize(value)) }; break;
                case "--batches-in-flight" when value is not null: s = s with { BatchesInFlight = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--min-pipelined-bytes" when value is not null: s = s with { MinPipelinedBatchBytes = checked((int)ParseSize(value)) }; break;
                case "--no-idempotence": s = s with { Idempotence = false }; i--; break;
                case "--rate" when value is not null: s = s with { Rate = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--prefill" when value is not null: s = s with { Prefill = long.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--prefill-seconds" when value is not null: s = s with { PrefillSeconds = D(value) }; break;
                case "--drain-seconds" when value is not null: s = s with { DrainSeconds = D(value) }; break;
                case "--timers" when value is not null: s = s with { Timers = long.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--timer-size" when value is not null: s = s with { TimerSize = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--timer-load-seconds" when value is not null: s = s with { TimerLoadSeconds = D(value) }; break;
                case "--late-timers" when value is not null: s = s with { LateTimers = int.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "--late-spread" when value is not null: s = s with { LateSpreadSeconds = D(value) }; break;
                case "--timer-warmup-bytes" when value is not null: s = s with { TimerWarmupBytes = ParseSize(value) }; break;
                case "--no-restart": s = s with { TimerRestart = false }; i--; break;
                case "--timer-control": s = s with { TimerControl = true }; i--; break;
                case "--gateway" when value is not null: s = s with { Gateway = value }; break;
                case "--cluster-id" when value is not null: s = s with { ClusterId = value }; break;
                case "--data" when value is not null: s = s with { DataRoot = value }; break;
                case "--out" when value is not null: s = s with { OutputDirectory = value }; break;
                case "--disk-bytes" when value is not null: s = s with { DiskBytes = ParseSize(value) }; break;
                case "--disk-quiet-wait" when value is not null: s = s with { DiskQuietWait = D(value) }; break;
                case "--silo-arg" when value is not null: s.SiloArguments.Add(value); break;
                case "--silo-env" when value is not null:
                    if (value.IndexOf('=', StringComparison.Ordinal) < 1)
                    {
                        Console.Error.WriteLine($"--silo-env is '{value}'; it must be NAME=VALUE, or NAME= to remove the variable");
                        return null;
                    }

                    s.SiloEnvironment.Add(value);
                    break;
                case "--compare": s = s with { Compare = true }; i--; break;
                case "--peerbench" when value is not null: s = s with { PeerbenchDirectory = value }; break;
                case "--peers" when value is not null: s = s with { Peers = value }; break;
                case "--w1-repeats" when value is not null && int.TryParse(value, CultureInfo.InvariantCulture, out var repeats) && repeats is >= 1 and <= 5:
                    s = s with { W1Repeats = repeats };
                    break;
                default:
                    Console.Error.WriteLine($"unknown or incomplete option '{args[i]}'");
                    return null;
            }

            i++;
        }

        foreach (var name in s.Names)
        {
            if (name is not ("W1" or "W2" or "W3" or "W4" or "W5"))
            {
                Console.Error.WriteLine($"unknown workload '{name}'; workloads are W1, W2, W3, W4, W5 (all = W1-W4)");
                return null;
            }
        }

        if (s.TimerSize < Common.Payload.HeaderSize || s.LateTimers < 1 || s.Timers < 0)
        {
            Console.Error.WriteLine($"--timer-size must be at least {Common.Payload.HeaderSize}, --late-timers at least 1 and --timers at least 0");
            return null;
        }

        if (s.DiskQuietWait is < 0 or > 3600)
        {
            Console.Error.WriteLine($"--disk-quiet-wait is {s.DiskQuietWait}; it must be between 0 (no wait) and 3600 seconds");
            return null;
        }

        return s;
    }

    private static string DefaultPeerbench()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "OrleansMq.sln")))
        {
            directory = directory.Parent;
        }

        return Path.GetFullPath(Path.Combine(directory?.FullName ?? ".", "..", "shared", "peerbench"));
    }

    private static double D(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private static long ParseSize(string text)
    {
        var units = new[] { ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10) };
        foreach (var (suffix, factor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return (long)(D(text[..^suffix.Length]) * factor);
            }
        }

        return long.Parse(text, CultureInfo.InvariantCulture);
    }
}
