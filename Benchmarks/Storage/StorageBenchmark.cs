namespace OrleansMq.Benchmarks.Storage;

/// <summary>The storage suite (issue #2): append and read throughput against the disk's own bandwidth.</summary>
internal static class StorageBenchmark
{
    public static Task<int> RunAsync(string[] args) => throw new NotImplementedException();
}
