using OrleansMq.Client.Producing;

namespace OrleansMq.Grains.Tests.Unit;

public sealed class ProducerOptionsTests
{
    [Fact]
    public void Validate_Defaults_NoProblems_RetryBackoff100Ms()
    {
        var options = new ProducerOptions();
        Assert.Empty(options.Validate());
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.RetryBackoff);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10_001)]
    public void Validate_RetryBackoffOutOfRange_NamesTheOptionAndTheRange(int milliseconds)
    {
        var problem = Assert.Single(new ProducerOptions { RetryBackoff = TimeSpan.FromMilliseconds(milliseconds) }.Validate());
        Assert.Contains("ProducerOptions.RetryBackoff", problem);
        Assert.Contains("between 0 and 00:00:10", problem);
    }
}
