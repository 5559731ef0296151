using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OrleansMq.Silo;

namespace OrleansMq.Process.Tests.Configuration;

/// <summary>
/// The broker sizes Orleans' grain directory cache for its own grains, not Orleans' million: the cache's size gauge walks
/// every slot each time metrics are collected (docs/benchmarks.md, twelfth session).
/// </summary>
[Trait("Suite", "BVT")]
[Trait("Area", "Operations")]
public sealed class GrainDirectorySettingsTests
{
    [Theory]
    [InlineData(new string[0], 100_000)]
    [InlineData(new[] { "--OrleansMq:Host:DirectoryCacheSize=5000" }, 5_000)]
    public async Task DirectoryCacheSize_ReachesOrleansGrainDirectoryOptions(string[] args, int expected)
    {
        await using var app = BrokerHost.Build([.. args, "--data", Path.Combine(Path.GetTempPath(), "orleansmq-unused")]);

        Assert.Equal(expected, app.Services.GetRequiredService<IOptions<GrainDirectoryOptions>>().Value.CacheSize);
    }

    [Fact]
    public void DirectoryCacheSize_OutOfRange_EndsTheStartSayingWhatIsAllowed()
    {
        var error = Assert.ThrowsAny<Exception>(() => BrokerHost.Build(["--OrleansMq:Host:DirectoryCacheSize=10"]));

        Assert.Equal("OrleansMq:Host:DirectoryCacheSize is 10; it must be between 1,000 and 10,000,000.", BrokerHost.DescribeStartupFailure(error));
    }
}
