using System.Diagnostics;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Benchmarks.Common;

/// <summary>
/// The disk's sequential write bandwidth with fdatasync: a preallocated file written in 4 MiB blocks, then one
/// fdatasync, timed together — the reference every throughput figure is divided by.
/// </summary>
internal static class DiskProbe
{
    /// <summary>Bytes per second for <paramref name="bytes"/> written to a temp file in <paramref name="directory"/>.</summary>
    public static double Measure(string directory, long bytes)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"disk-bandwidth-{Guid.NewGuid():N}.tmp");
        var block = new byte[4 << 20];
        Random.Shared.NextBytes(block);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, FileOptions.None, bytes);
            var clock = Stopwatch.StartNew();
            for (long offset = 0; offset < bytes; offset += block.Length)
            {
                RandomAccess.Write(handle, block.AsSpan(0, (int)Math.Min(block.Length, bytes - offset)), offset);
            }

            NativeMethods.FlushData(handle);
            return bytes / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            File.Delete(path);
        }
    }
}
