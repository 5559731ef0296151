using System.Diagnostics;

namespace OrleansMq.Benchmarks.Common;

/// <summary>The disk's sequential write bandwidth with fdatasync: large writes then one flush to disk, timed together.</summary>
internal static class DiskProbe
{
    /// <summary>Bytes per second for writing <paramref name="bytes"/> in 4 MiB blocks to a temp file in <paramref name="directory"/>.</summary>
    public static double Measure(string directory, long bytes)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"disk-probe-{Guid.NewGuid():N}.tmp");
        var block = new byte[4 * 1024 * 1024];
        new Random(7).NextBytes(block);
        try
        {
            var clock = Stopwatch.StartNew();
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                for (long written = 0; written < bytes; written += block.Length)
                {
                    file.Write(block, 0, (int)Math.Min(block.Length, bytes - written));
                }

                file.Flush(flushToDisk: true);
            }

            return bytes / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            File.Delete(path);
        }
    }
}
