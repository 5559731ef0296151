using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using OrleansMq.Benchmarks.Common;
using OrleansMq.Storage;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.Configuration;
using OrleansMq.Storage.Flush;

namespace OrleansMq.Benchmarks.Storage;

/// <summary>The storage suite (issue #2): append and read throughput against the disk's own bandwidth.</summary>
/// <remarks>
/// Usage: <c>dotnet run -c Release --project Benchmarks -- storage [--dir PATH] [--disk-bytes 1GiB] [--seconds 5] [--body 1024] [--keep]</c>.
/// Every figure is also printed as a ratio to the disk's sequential write bandwidth with fdatasync, measured in
/// the same run and directory (a large-block write of --disk-bytes, then one fdatasync). Async throughput is
/// measured until the data is durable (the final flush is inside the timing), so the page cache cannot inflate it.
/// </remarks>
internal static class StorageBenchmark
{
    private const int Queues = 8;

    /// <summary>
    /// Catch-up reads ask for 64 messages / 64 KiB per call. Every Read returns a new array (the pull wire buffer);
    /// above 85 KB that array lands on the large object heap and the resulting gen2 collections cut read
    /// throughput by ~3x (measured: 1.95 GB/s at 64 KiB vs 0.59 GB/s at 4 MiB per call), so bigger is not better.
    /// </summary>
    private const int ReadBatchMessages = 64;

    private const int ReadBatchBytes = 64 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = Settings.Parse(args);
        if (settings is null)
        {
            Console.Error.WriteLine("usage: storage [--dir PATH] [--disk-bytes 1GiB] [--seconds 5] [--body 1024] [--keep]");
            return 2;
        }

        var root = settings.Directory ?? Path.Combine(Path.GetTempPath(), $"orleansmq-storage-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        try
        {
            Console.WriteLine($"storage benchmark: dir={root} body={settings.BodySize} B, {settings.Seconds} s per run, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
            // The disk is measured right before every run and each run's ratio uses that measurement: on a shared
            // (virtual) disk the bandwidth moves by several x within minutes, so one reference for the whole suite
            // would mostly measure the neighbours.
            var results = new List<RunResult>();
            string? readDirectory = null;
            foreach (var (policy, appenders, batch) in Runs())
            {
                var (disk, quiet) = DiskProbe.Measure(root, settings.DiskBytes, DiskProbe.DefaultMaxWait);
                var directory = Path.Combine(root, $"store-{results.Count}");
                var keepForRead = !policy.IsSync && appenders == 64 && batch == 32;
                var result = await RunAppendsAsync(directory, policy, appenders, batch, settings) with { DiskBytesPerSecond = disk };
                results.Add(result);
                Console.Error.WriteLine($"  done: {result.Name} (disk {disk / 1e6:F0} MB/s; {quiet})");
                if (keepForRead)
                {
                    readDirectory = directory;
                }
                else if (!settings.Keep)
                {
                    Directory.Delete(directory, recursive: true);
                }
            }

            var readDisk = DiskProbe.Measure(root, settings.DiskBytes, DiskProbe.DefaultMaxWait).BytesPerSecond;
            var read = await MeasureReadAsync(readDirectory!) with { DiskBytesPerSecond = readDisk };
            Console.WriteLine($"disk (write {Format(settings.DiskBytes)} in 4 MiB blocks + fdatasync, before each run): min {results.Min(r => r.DiskBytesPerSecond) / 1e6:F0} MB/s, max {results.Max(r => r.DiskBytesPerSecond) / 1e6:F0} MB/s");
            Console.WriteLine();
            Console.WriteLine($"{"run",-28} {"msgs/s",10} {"MB/s",8} {"disk MB/s",9} {"ratio",6} {"p50 ms",8} {"p99 ms",8} {"appends",9} {"syncs/s",8} {"msgs/sync",9}");
            foreach (var r in results.Append(read))
            {
                Console.WriteLine($"{r.Name,-28} {r.MessagesPerSecond,10:F0} {r.BytesPerSecond / 1e6,8:F0} {r.DiskBytesPerSecond / 1e6,9:F0} {r.BytesPerSecond / r.DiskBytesPerSecond,6:F2} {r.P50Ms,8:F2} {r.P99Ms,8:F2} {r.Appends,9} {r.FlushesPerSecond,8:F0} {r.MessagesPerFlush,9:F1}");
            }

            Console.WriteLine();
            var async64 = results.First(r => !r.Sync && r.Appenders == 64 && r.Batch == 1);
            var sync64 = results.First(r => r.Sync && r.Appenders == 64 && r.Batch == 1);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"storage: async_ratio={async64.BytesPerSecond / async64.DiskBytesPerSecond:F2} sync64_ratio={sync64.BytesPerSecond / sync64.DiskBytesPerSecond:F2} read_gbps={read.BytesPerSecond / 1e9:F2}"));
            return 0;
        }
        finally
        {
            if (!settings.Keep)
            {
                try
                {
                    Directory.Delete(root, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    private static IEnumerable<(FlushPolicy Policy, int Appenders, int Batch)> Runs()
    {
        foreach (var policy in new[] { FlushPolicy.Async(TimeSpan.FromMilliseconds(500)), FlushPolicy.Sync })
        {
            foreach (var appenders in new[] { 1, 16, 64 })
            {
                yield return (policy, appenders, 1);
            }

            yield return (policy, 64, 32);
        }
    }

    private static async Task<RunResult> RunAppendsAsync(string directory, FlushPolicy policy, int appenders, int batchSize, Settings settings)
    {
        var options = new MessageStoreOptions { Directory = directory, FlushPolicy = policy, MinFreeDiskBytes = 1L << 30 };
        var store = await MessageStore.OpenAsync(options);
        // Steady state of a running broker: under sync the next segment is already zero-filled (see SegmentPreparer).
        await store.WhenNextSegmentPreparedAsync();
        var batch = BuildBatch(batchSize, settings.BodySize);
        long flushes = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "orleansmq-storage-flush-batch-size")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => Interlocked.Increment(ref flushes));
        listener.Start();
        var latencies = new List<long>[appenders];
        var stop = Stopwatch.GetTimestamp() + (long)(settings.Seconds * Stopwatch.Frequency);
        var clock = Stopwatch.StartNew();
        var tasks = new Task[appenders];
        for (var a = 0; a < appenders; a++)
        {
            var index = a;
            latencies[a] = new List<long>(1 << 16);
            tasks[a] = Task.Run(async () =>
            {
                var queue = index % Queues;
                var mine = latencies[index];
                while (Stopwatch.GetTimestamp() < stop)
                {
                    var started = Stopwatch.GetTimestamp();
                    var result = await store.AppendAsync("bench", queue, batch);
                    if (result.Status != AppendStatus.Ok)
                    {
                        throw new InvalidOperationException($"append failed: {result.Status}");
                    }

                    mine.Add(Stopwatch.GetTimestamp() - started);
                }
            });
        }

        await Task.WhenAll(tasks);
        // Async: the run ends when the data is durable, so the page cache cannot make it look faster than the disk.
        while (store.GetStatus().DurablePosition < store.GetStatus().WrittenPosition)
        {
            await Task.Delay(1);
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        var written = store.GetStatus().WrittenPosition;
        await store.DisposeAsync();

        var all = latencies.SelectMany(l => l).Order().ToArray();
        var appends = all.Length;
        var flushCount = Interlocked.Read(ref flushes);
        return new RunResult(
            $"{(policy.IsSync ? "sync" : "async")} x{appenders} batch {batchSize}",
            policy.IsSync,
            appenders,
            batchSize,
            appends,
            (double)appends * batchSize / elapsed,
            written / elapsed,
            Percentile(all, 0.50),
            Percentile(all, 0.99),
            flushCount / elapsed,
            flushCount == 0 ? 0 : (double)appends * batchSize / flushCount);
    }

    private static async Task<RunResult> MeasureReadAsync(string directory)
    {
        await using var store = await MessageStore.OpenAsync(new MessageStoreOptions { Directory = directory, MinFreeDiskBytes = 1L << 30 });
        long bytes = 0;
        long messages = 0;
        long calls = 0;
        var clock = Stopwatch.StartNew();
        for (var queue = 0; queue < Queues; queue++)
        {
            var offset = store.GetQueueRange("bench", queue).Min;
            while (true)
            {
                var result = store.Read("bench", queue, offset, ReadBatchMessages, ReadBatchBytes);
                if (result.Status != ReadStatus.Found)
                {
                    break;
                }

                bytes += result.Records.Length;
                messages += result.Count;
                calls++;
                offset = result.NextQueueOffset;
            }
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        return new RunResult("catch-up read (page cache)", false, 1, ReadBatchMessages, calls, messages / elapsed, bytes / elapsed, 0, 0);
    }

    private static byte[] BuildBatch(int count, int bodySize)
    {
        var writer = new ArrayBufferWriter<byte>();
        var body = new byte[bodySize];
        Random.Shared.NextBytes(body);
        var properties = MessageProperties.Encode([new("TAGS", "bench")]);
        for (var i = 0; i < count; i++)
        {
            MessageBatchWriter.Write(writer, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), MessageFlags.None, properties, body);
        }

        return writer.WrittenSpan.ToArray();
    }

    private static double Percentile(long[] sorted, double p)
        => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))] * 1000.0 / Stopwatch.Frequency;

    private static string Format(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F1} GiB" : $"{bytes / (double)(1L << 20):F0} MiB";

    private sealed record RunResult(string Name, bool Sync, int Appenders, int Batch, long Appends, double MessagesPerSecond, double BytesPerSecond, double P50Ms, double P99Ms, double FlushesPerSecond = 0, double MessagesPerFlush = 0)
    {
        public double DiskBytesPerSecond { get; init; } = 1;
    }

    private sealed record Settings(string? Directory, long DiskBytes, double Seconds, int BodySize, bool Keep)
    {
        public static Settings? Parse(string[] args)
        {
            var settings = new Settings(null, 1L << 30, 5, 1024, false);
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[i + 1] : null;
                switch (args[i])
                {
                    case "--dir" when value is not null:
                        settings = settings with { Directory = value };
                        i++;
                        break;
                    case "--disk-bytes" when value is not null && TryParseSize(value, out var size):
                        settings = settings with { DiskBytes = size };
                        i++;
                        break;
                    case "--seconds" when value is not null && double.TryParse(value, CultureInfo.InvariantCulture, out var seconds) && seconds > 0:
                        settings = settings with { Seconds = seconds };
                        i++;
                        break;
                    case "--body" when value is not null && int.TryParse(value, CultureInfo.InvariantCulture, out var body) && body > 0:
                        settings = settings with { BodySize = body };
                        i++;
                        break;
                    case "--keep":
                        settings = settings with { Keep = true };
                        break;
                    default:
                        return null;
                }
            }

            return settings;
        }

        private static bool TryParseSize(string text, out long bytes)
        {
            var multiplier = 1L;
            foreach (var (suffix, factor) in new[] { ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("G", 1L << 30), ("M", 1L << 20), ("K", 1L << 10) })
            {
                if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                {
                    multiplier = factor;
                    text = text[..^suffix.Length];
                    break;
                }
            }

            var ok = long.TryParse(text, CultureInfo.InvariantCulture, out var value) && value > 0;
            bytes = value * multiplier;
            return ok;
        }
    }
}
