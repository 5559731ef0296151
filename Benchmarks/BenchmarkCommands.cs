namespace OrleansMq.Benchmarks;

/// <summary>Dispatches the benchmark suites by name.</summary>
internal static class BenchmarkCommands
{
    private static readonly Dictionary<string, (string Help, Func<string[], Task<int>> Run)> Suites = new(StringComparer.OrdinalIgnoreCase)
    {
        ["storage"] = ("commit log append (sync/async, 1/16/64 appenders) and catch-up read vs disk fdatasync bandwidth", Storage.StorageBenchmark.RunAsync),
        ["checksum"] = ("CRC-32C of record-sized spans against one dependent chain of the same instruction and a memory copy", Storage.ChecksumBenchmark.RunAsync),
        ["workload"] = ("OpenMessaging-style W1-W4 (and W5, 1M pending timers, when named) against a broker silo it starts (or --gateway)", Workload.WorkloadBenchmark.RunAsync),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || !Suites.TryGetValue(args[0], out var suite))
        {
            Console.Error.WriteLine("usage: dotnet run -c Release --project Benchmarks -- <suite> [options]");
            foreach (var (name, (help, _)) in Suites)
            {
                Console.Error.WriteLine($"  {name,-10} {help}");
            }

            return args.Length == 0 ? 1 : 2;
        }

        return await suite.Run(args[1..]);
    }
}
