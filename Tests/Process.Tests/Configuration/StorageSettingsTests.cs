using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansMq.Silo;
using OrleansMq.Storage.Configuration;

namespace OrleansMq.Process.Tests.Configuration;

/// <summary>The silo's storage settings reach the message store: <c>--flush</c> and <c>OrleansMq:Storage:*</c>.</summary>
[Trait("Suite", "BVT")]
[Trait("Area", "Storage")]
public sealed class StorageSettingsTests
{
    [Theory]
    [InlineData("async:250ms", false, 250)]
    [InlineData("async", false, 500)]
    [InlineData("sync", true, 0)]
    public async Task FlushSwitch_SetsTheStoresFlushPolicy(string value, bool sync, int intervalMs)
    {
        await using var app = BrokerHost.Build(["--flush", value, "--data", Path.Combine(Path.GetTempPath(), "orleansmq-unused")]);

        var policy = app.Services.GetRequiredService<IOptions<MessageStoreOptions>>().Value.FlushPolicy;

        Assert.Equal(sync, policy.IsSync);
        Assert.Equal(TimeSpan.FromMilliseconds(intervalMs), policy.Interval);
    }

    [Fact]
    public async Task FlushPolicyKey_InConfigurationForm_IsBound()
    {
        await using var app = BrokerHost.Build(["--OrleansMq:Storage:FlushPolicy=async:2s"]);

        Assert.Equal(TimeSpan.FromSeconds(2), app.Services.GetRequiredService<IOptions<MessageStoreOptions>>().Value.FlushPolicy.Interval);
    }

    [Fact]
    public void FlushSwitch_BadValue_EndsTheStartSayingWhatIsAllowed()
    {
        var error = Assert.ThrowsAny<Exception>(() => BrokerHost.Build(["--flush", "sometimes"]));

        var message = BrokerHost.DescribeStartupFailure(error);
        Assert.NotNull(message);
        Assert.Contains("OrleansMq:Storage:FlushPolicy", message, StringComparison.Ordinal);
        Assert.Contains("Invalid flush policy 'sometimes': expected 'sync', 'async', 'async:500ms'", message, StringComparison.Ordinal);
    }
}
