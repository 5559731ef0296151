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

    [Fact]
    public void Validate_Defaults_StickySelectionOf1MiB()
    {
        var options = new ProducerOptions();
        Assert.Equal(QueueSelection.Sticky, options.QueueSelection);
        Assert.Equal(1024 * 1024, options.StickyQueueBytes);
    }

    [Fact]
    public void MaxInFlightBatchesPerQueue_Default_FourWithIdempotence_OneWithout_WhicheverIsSetFirst_AnExplicitValueWins()
    {
        // Without idempotence two batches in flight may be stored in either order, so that default keeps one.
        Assert.Equal(4, new ProducerOptions().MaxInFlightBatchesPerQueue);
        Assert.Equal(1, new ProducerOptions { EnableIdempotence = false }.MaxInFlightBatchesPerQueue);
        Assert.Equal(1, (new ProducerOptions() with { EnableIdempotence = false }).MaxInFlightBatchesPerQueue);
        Assert.Equal(4, (new ProducerOptions { EnableIdempotence = false } with { EnableIdempotence = true }).MaxInFlightBatchesPerQueue);

        Assert.Equal(1, new ProducerOptions { MaxInFlightBatchesPerQueue = 1 }.MaxInFlightBatchesPerQueue);
        Assert.Equal(3, new ProducerOptions { MaxInFlightBatchesPerQueue = 3, EnableIdempotence = false }.MaxInFlightBatchesPerQueue);
        Assert.Equal(4, (new ProducerOptions { MaxInFlightBatchesPerQueue = 4 } with { EnableIdempotence = false }).MaxInFlightBatchesPerQueue);
        Assert.Empty(new ProducerOptions { EnableIdempotence = false }.Validate());
    }

    [Fact]
    public void MinPipelinedBatchBytes_Default32KiB_OutOfRange_NamesTheOptionAndTheRange()
    {
        Assert.Equal(32 * 1024, new ProducerOptions().MinPipelinedBatchBytes);
        Assert.Empty(new ProducerOptions { MinPipelinedBatchBytes = 0 }.Validate());

        var negative = Assert.Single(new ProducerOptions { MinPipelinedBatchBytes = -1 }.Validate());
        Assert.Contains("ProducerOptions.MinPipelinedBatchBytes is -1; it must be between 0 and MaxBatchBytes (1048576)", negative);
        var aboveBatch = Assert.Single(new ProducerOptions { MaxBatchBytes = 64 * 1024, MinPipelinedBatchBytes = 64 * 1024 + 1 }.Validate());
        Assert.Contains("MinPipelinedBatchBytes is 65537; it must be between 0 and MaxBatchBytes (65536)", aboveBatch);
    }

    [Fact]
    public void Validate_UnknownQueueSelectionOrStickyBytesOutOfRange_NamesTheOptionAndWhatIsAllowed()
    {
        var selection = Assert.Single(new ProducerOptions { QueueSelection = (QueueSelection)7 }.Validate());
        Assert.Contains("ProducerOptions.QueueSelection is 7", selection);
        Assert.Contains("Sticky or RoundRobin", selection);

        var bytes = Assert.Single(new ProducerOptions { StickyQueueBytes = 0 }.Validate());
        Assert.Contains("ProducerOptions.StickyQueueBytes is 0", bytes);
        Assert.Contains("between 1 and 67108864", bytes);
    }
}

public sealed class MessageEncoderTests
{
    [Fact]
    public void Encode_BadTopicAfterGoodOnes_IsStillRefused_AndTheGoodTopicStillAccepted()
    {
        var options = new ProducerOptions();
        var good = "orders-encoder";
        Assert.NotEmpty(MessageEncoder.Encode(new OrleansMq.Client.Messages.Message(good, "a"), options, UniqueKeyGenerator.Next()));
        Assert.NotEmpty(MessageEncoder.Encode(new OrleansMq.Client.Messages.Message(good, "b"), options, UniqueKeyGenerator.Next()));

        var bad = Assert.Throws<ArgumentException>(() => MessageEncoder.Encode(new OrleansMq.Client.Messages.Message("bad topic!", "c"), options, UniqueKeyGenerator.Next()));
        Assert.Contains("bad topic!", bad.Message);
        Assert.Throws<ArgumentException>(() => MessageEncoder.Encode(new OrleansMq.Client.Messages.Message("bad topic!", "c"), options, UniqueKeyGenerator.Next()));
        Assert.ThrowsAny<ArgumentException>(() => MessageEncoder.Encode(new OrleansMq.Client.Messages.Message(null!, "d"), options, UniqueKeyGenerator.Next()));
        Assert.NotEmpty(MessageEncoder.Encode(new OrleansMq.Client.Messages.Message(good, "e"), options, UniqueKeyGenerator.Next()));
    }
}
