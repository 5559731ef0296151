using System.Diagnostics;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Benchmarks.Common;

/// <summary>
/// The disk's sequential write bandwidth with fdatasync: a preallocated file written in 4 MiB blocks, then one
/// fdatasync, timed together — the reference every throughput figure is divided by. Also waits, after any large
/// deletion (its own file, a previous run's data), until the disk's syncs are quick again before anything is measured.
/// </summary>
/// <remarks>
/// Why the wait: on ext4 mounted with <c>discard</c> (this machine's root), freeing a 1 GiB file makes every
/// fdatasync on the disk stall 30-45 ms about every 2 s for the next ~10 s (3 GiB: 70-85 ms, twice per period);
/// measured with a plain fdatasync loop, no broker involved (docs/benchmarks.md). Without the wait the runner's own
/// probe file, and in <c>--compare</c> the first broker's deleted data, land in the next workload's latency tail.
/// </remarks>
internal static class DiskProbe
{
    /// <summary>A sync slower than this counts as a stall (an idle disk here: p99.9 under 5 ms, a stall 30 ms and up).</summary>
    public static readonly TimeSpan StallThreshold = TimeSpan.FromMilliseconds(15);

    /// <summary>How long syncs must stay quick: two periods of the stalls described above.</summary>
    private static readonly TimeSpan QuietFor = TimeSpan.FromSeconds(4.5);

    /// <summary>Default longest wait; past it the measurement goes ahead and the result says the disk was not quiet.</summary>
    public static readonly TimeSpan DefaultMaxWait = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Bandwidth for <paramref name="bytes"/> written to a temp file in <paramref name="directory"/>, and the wait
    /// (<see cref="WaitUntilQuiet"/>, at most <paramref name="maxWait"/>) after the file is deleted.
    /// </summary>
    public static DiskMeasurement Measure(string directory, long bytes, TimeSpan maxWait)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"disk-bandwidth-{Guid.NewGuid():N}.tmp");
        var block = new byte[4 << 20];
        Random.Shared.NextBytes(block);
        double bandwidth;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, FileOptions.None, bytes);
            var clock = Stopwatch.StartNew();
            for (long offset = 0; offset < bytes; offset += block.Length)
            {
                RandomAccess.Write(handle, block.AsSpan(0, (int)Math.Min(block.Length, bytes - offset)), offset);
            }

            NativeMethods.FlushData(handle);
            bandwidth = bytes / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            File.Delete(path);
        }

        return new DiskMeasurement(bandwidth, WaitUntilQuiet(directory, maxWait));
    }

    /// <summary>
    /// Syncs a small write every ~5 ms in <paramref name="directory"/> until none has stalled for
    /// <see cref="QuietFor"/>, at most <paramref name="maxWait"/> (zero: no wait). The scratch file is overwritten in
    /// place, so the wait itself frees nothing.
    /// </summary>
    public static DiskQuiet WaitUntilQuiet(string directory, TimeSpan maxWait)
    {
        if (maxWait <= TimeSpan.Zero)
        {
            return new DiskQuiet(0, Quiet: false, Stalls: 0, SlowestMs: 0, Skipped: true);
        }

        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"disk-quiet-{Guid.NewGuid():N}.tmp");
        const int FileBytes = 4 << 20, WriteBytes = 40 << 10;
        var block = new byte[WriteBytes];
        Random.Shared.NextBytes(block);
        var stallTicks = (long)(StallThreshold.TotalSeconds * Stopwatch.Frequency);
        var quietTicks = (long)(QuietFor.TotalSeconds * Stopwatch.Frequency);
        var maxTicks = (long)(maxWait.TotalSeconds * Stopwatch.Frequency);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, FileOptions.None, FileBytes);
            for (var offset = 0; offset < FileBytes; offset += WriteBytes)
            {
                RandomAccess.Write(handle, block, offset); // Written once, so the timed syncs below convert no extents.
            }

            NativeMethods.FlushData(handle);
            var start = Stopwatch.GetTimestamp();
            var quietSince = start;
            long offsetInFile = 0, stalls = 0, slowest = 0;
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                if (now - quietSince >= quietTicks || now - start >= maxTicks)
                {
                    return new DiskQuiet((now - start) / (double)Stopwatch.Frequency, now - quietSince >= quietTicks, stalls, slowest * 1000.0 / Stopwatch.Frequency, Skipped: false);
                }

                RandomAccess.Write(handle, block, offsetInFile);
                offsetInFile = (offsetInFile + WriteBytes) % (FileBytes - WriteBytes);
                var before = Stopwatch.GetTimestamp();
                NativeMethods.FlushData(handle);
                var took = Stopwatch.GetTimestamp() - before;
                slowest = Math.Max(slowest, took);
                if (took > stallTicks)
                {
                    stalls++;
                    quietSince = Stopwatch.GetTimestamp();
                }

                Thread.Sleep(5); // Pacing only: a sync every ~5 ms, like a lightly loaded broker's group commit.
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>The disk's fdatasync bandwidth and the wait for it to be quiet afterwards.</summary>
internal readonly record struct DiskMeasurement(double BytesPerSecond, DiskQuiet Quiet);

/// <summary>
/// How long <see cref="DiskProbe.WaitUntilQuiet"/> waited, whether the disk became quiet within the limit, how many
/// syncs stalled meanwhile and the slowest one; <paramref name="Skipped"/> when told not to wait.
/// </summary>
internal readonly record struct DiskQuiet(double WaitedSeconds, bool Quiet, long Stalls, double SlowestMs, bool Skipped)
{
    public override string ToString() => Skipped ? "not waited for the disk to be quiet"
        : Quiet ? $"quiet after {WaitedSeconds:F1} s ({Stalls} syncs over {DiskProbe.StallThreshold.TotalMilliseconds:F0} ms meanwhile, slowest {SlowestMs:F0} ms)"
        : $"NOT quiet after {WaitedSeconds:F0} s ({Stalls} syncs over {DiskProbe.StallThreshold.TotalMilliseconds:F0} ms, slowest {SlowestMs:F0} ms): measuring anyway";
}
