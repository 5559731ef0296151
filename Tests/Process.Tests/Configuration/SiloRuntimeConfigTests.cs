using System.Text.Json;
using OrleansMq.Process.Tests.Fixtures;

namespace OrleansMq.Process.Tests.Configuration;

/// <summary>The broker's runtime settings, as the built (and published) silo starts with them.</summary>
[Trait("Suite", "BVT")]
[Trait("Area", "Performance")]
public sealed class SiloRuntimeConfigTests
{
    [Fact]
    public void RuntimeConfig_ServerGcAndALargeObjectThresholdAboveAFullDefaultBatch()
    {
        var path = Path.ChangeExtension(Repository.SiloAssembly, ".runtimeconfig.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var properties = document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.GetProperty("System.GC.Server").GetBoolean(), $"{path}: the broker runs with server GC");

        // Append batches (the SDK's default MaxBatchBytes is 1 MiB) and pull responses must be gen0 objects: as
        // large-object-heap allocations they cost the W3 catch-up a third of its throughput (docs/benchmarks.md).
        Assert.True(properties.TryGetProperty("System.GC.LOHThreshold", out var threshold), $"{path} has no System.GC.LOHThreshold");
        Assert.True(threshold.GetInt64() >= new Client.Producing.ProducerOptions().MaxBatchBytes, $"System.GC.LOHThreshold is {threshold}; it must hold a full default batch");
    }
}
