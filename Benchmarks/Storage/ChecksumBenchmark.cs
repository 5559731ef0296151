using System.Diagnostics;
using System.Globalization;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Benchmarks.Storage;

/// <summary>
/// CRC-32C, the checksum of every record written and consumed: <see cref="Crc32C.Append"/> against the same
/// instruction in one dependent chain (the reference: what a plain loop does) and against copying the same bytes,
/// both measured in the same run, alternating, best of several rounds per size.
/// </summary>
internal static class ChecksumBenchmark
{
    private static readonly int[] Sizes = [64, 200, 400, 1200, 4096, 65536];

    public static Task<int> RunAsync(string[] args)
    {
        var rounds = 8;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var r) && r > 0:
                    rounds = r;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine("usage: dotnet run -c Release --project Benchmarks -- checksum [--rounds 8]");
                    return Task.FromResult(2);
            }
        }

        var data = new byte[1 << 20];
        new Random(1).NextBytes(data);
        var copy = new byte[data.Length];
        var summary = new List<string>();
        uint sink = 0;
        foreach (var size in Sizes)
        {
            double crc = double.MaxValue, chain = double.MaxValue, copied = double.MaxValue;
            for (var round = 0; round < rounds; round++)
            {
                crc = Math.Min(crc, Time(data, size, (span, _) => Crc32C.Append(Crc32C.Seed, span), ref sink, copy));
                chain = Math.Min(chain, Time(data, size, (span, _) => Crc32C.OneChain(Crc32C.Seed, span), ref sink, copy));
                copied = Math.Min(copied, Time(data, size, (span, target) => { span.CopyTo(target); return target[0]; }, ref sink, copy));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"size={size} crc_ns={crc:F1} one_chain_ns={chain:F1} speedup={chain / crc:F2} crc_gb_per_s={size / crc:F1} copy_gb_per_s={size / copied:F1} crc_to_copy={copied / crc:F2}"));
            if (size is 1200 or 65536)
            {
                summary.Add(string.Create(CultureInfo.InvariantCulture, $"crc{size}_speedup={chain / crc:F2} crc{size}_to_copy={copied / crc:F2}"));
            }
        }

        GC.KeepAlive(sink);
        Console.WriteLine($"checksum: {string.Join(' ', summary)}");
        return Task.FromResult(0);
    }

    private delegate uint Work(ReadOnlySpan<byte> source, Span<byte> target);

    /// <summary>Nanoseconds per call over ~64 MiB of spans of <paramref name="size"/>, each at a new 4 KiB-aligned offset.</summary>
    private static double Time(byte[] data, int size, Work work, ref uint sink, byte[] target)
    {
        var calls = (64L << 20) / size;
        var offset = 0;
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < calls; i++)
        {
            sink ^= work(data.AsSpan(offset, size), target.AsSpan(offset, size));
            offset = (offset + 4096) & ((1 << 19) - 1);
        }

        return clock.Elapsed.TotalNanoseconds / calls;
    }
}
