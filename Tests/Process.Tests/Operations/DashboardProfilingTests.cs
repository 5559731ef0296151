using Microsoft.Extensions.DependencyInjection;
using OrleansMq.Silo;

namespace OrleansMq.Process.Tests.Operations;

/// <summary>The dashboard's grain call profiler is in the call pipeline only when asked for.</summary>
[Trait("Suite", "BVT")]
[Trait("Area", "Operations")]
public sealed class DashboardProfilingTests
{
    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "--OrleansMq:Operations:DashboardProfiling=true" }, true)]
    [InlineData(new[] { "--OrleansMq:Operations:Dashboard=false", "--OrleansMq:Operations:DashboardProfiling=true" }, false)]
    public async Task GrainCallFilters_HoldTheProfilerOnlyWhenEnabled(string[] args, bool profiled)
    {
        await using var app = BrokerHost.Build([.. args, "--data", Path.Combine(Path.GetTempPath(), "orleansmq-unused")]);

        var filters = app.Services.GetServices<IIncomingGrainCallFilter>().Select(f => f.GetType().FullName).ToList();

        Assert.Equal(profiled, filters.Contains("Orleans.Dashboard.Implementation.GrainProfilerFilter"));
    }
}
