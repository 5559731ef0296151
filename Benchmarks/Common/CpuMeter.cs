using System.Diagnostics;
using System.Globalization;

namespace OrleansMq.Benchmarks.Common;

/// <summary>
/// CPU used during a window, in cores (1.00 = one core busy all the window), from /proc/&lt;pid&gt;/stat: this process
/// (client), the broker processes and their children (server), and everything else on the host (other — a measure
/// of how disturbed the run was on a shared machine). Linux only; NaN elsewhere.
/// </summary>
internal sealed class CpuMeter(IReadOnlyCollection<int> serverPids)
{
    private const double ClockTicksPerSecond = 100.0; // USER_HZ

    public Snapshot Take()
    {
        var processes = new Dictionary<int, (int Parent, long Start, long Cpu)>();
        if (OperatingSystem.IsLinux())
        {
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && TryRead(pid, out var cpu))
                {
                    processes[pid] = cpu;
                }
            }
        }

        return new Snapshot(Stopwatch.GetTimestamp(), processes);
    }

    public CpuUsage Measure(Snapshot from, Snapshot to)
    {
        var wall = (to.WallTicks - from.WallTicks) / (double)Stopwatch.Frequency;
        if (to.Processes.Count == 0 || wall <= 0)
        {
            return new CpuUsage(double.NaN, double.NaN, double.NaN);
        }

        long client = 0, server = 0, other = 0;
        var self = Environment.ProcessId;
        foreach (var (pid, end) in to.Processes)
        {
            var before = from.Processes.TryGetValue(pid, out var start) && start.Start == end.Start ? start.Cpu : 0;
            var used = Math.Max(0, end.Cpu - before);
            if (pid == self)
            {
                client += used;
            }
            else if (serverPids.Contains(pid) || serverPids.Contains(end.Parent))
            {
                server += used;
            }
            else
            {
                other += used;
            }
        }

        double Cores(long ticks) => ticks / ClockTicksPerSecond / wall;
        return new CpuUsage(Cores(client), Cores(server), Cores(other));
    }

    private static bool TryRead(int pid, out (int Parent, long Start, long Cpu) cpu)
    {
        cpu = default;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long F(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);
            cpu = ((int)F(1), F(19), F(11) + F(12) + F(13) + F(14));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return false;
        }
    }

    internal sealed record Snapshot(long WallTicks, IReadOnlyDictionary<int, (int Parent, long Start, long Cpu)> Processes);
}

/// <summary>Cores used by the client, the broker and the rest of the host.</summary>
internal readonly record struct CpuUsage(double Client, double Server, double Other);
