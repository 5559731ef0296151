using OrleansMq.Client.Messages;
using OrleansMq.Client.Producing;
using OrleansMq.Grains.Messages;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Tests.Unit;

public sealed class SendResultTests
{
    private static readonly MessageQueue Queue = new("orders", "broker-1", 3);

    [Fact]
    public void MessageId_FromTheStoredPosition_IsTheIdOfThatPosition_AndEqualsAResultBuiltFromTheText()
    {
        var id = new MessageId(0x1234, 987_654);
        var key = UniqueKeyGenerator.Next();
        var lazy = new SendResult(SendStatus.Ok, id, key, Queue, 42);
        var text = new SendResult(SendStatus.Ok, id.ToString(), key.ToString(), Queue, 42);

        Assert.Equal(id.ToString(), lazy.MessageId);
        Assert.Same(lazy.MessageId, lazy.MessageId);
        Assert.Equal(key.ToString(), lazy.UniqueKey);
        Assert.Same(lazy.UniqueKey, lazy.UniqueKey);
        Assert.Equal(text, new SendResult(SendStatus.Ok, id, key, Queue, 42));
        Assert.Equal(text, lazy);
        Assert.Equal(text.GetHashCode(), lazy.GetHashCode());
        Assert.NotEqual(text, lazy with { QueueOffset = 43 });
        Assert.NotEqual(text, new SendResult(SendStatus.Ok, new MessageId(0x1234, 987_655), key, Queue, 42));
        Assert.NotEqual(text, new SendResult(SendStatus.Ok, id, UniqueKeyGenerator.Next(), Queue, 42));
        Assert.Equal("OTHER", (lazy with { UniqueKey = "OTHER" }).UniqueKey);

        var (status, messageId, uniqueKey, queue, offset) = lazy;
        Assert.Equal((SendStatus.Ok, id.ToString(), key.ToString(), Queue, 42L), (status, messageId, uniqueKey, queue, offset));
        Assert.Contains(id.ToString(), lazy.ToString());
    }
}
