using System.Buffers;
using OrleansMq.Client.Messages;
using OrleansMq.Storage;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.Configuration;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Unit;

public sealed class ReceivedMessageDecodeTests
{
    private static async Task<byte[]> StoreAndReadAsync(MessageStore store, string topic, params string[] bodies)
    {
        var batch = new ArrayBufferWriter<byte>();
        foreach (var body in bodies)
        {
            MessageBatchWriter.Write(batch, 1_700_000_000_000, MessageFlags.None, MessageProperties.Encode([new("TAGS", $"tag-{body}")]), System.Text.Encoding.UTF8.GetBytes(body));
        }

        Assert.Equal(AppendStatus.Ok, (await store.AppendAsync(topic, 2, batch.WrittenMemory)).Status);
        var read = store.Read(topic, 2, 0, bodies.Length, 1 << 20);
        Assert.Equal(ReadStatus.Found, read.Status);
        return read.Records.ToArray();
    }

    [Fact]
    public async Task Decode_RecordsOfTwoTopicsInOneBuffer_EachMessageKeepsItsTopicPropertiesBodyAndOffsets()
    {
        using var directory = new TempDirectory();
        await using var store = await MessageStore.OpenAsync(new MessageStoreOptions { Directory = directory.Path });
        var first = await StoreAndReadAsync(store, "alpha", "a0", "a1", "a2");
        var second = await StoreAndReadAsync(store, "beta", "b0", "b1");

        var messages = ReceivedMessage.Decode(first.Concat(second).ToArray(), 5, 42, "broker-x");

        Assert.Equal(["alpha", "alpha", "alpha", "beta", "beta"], messages.Select(m => m.Topic));
        Assert.Equal(["a0", "a1", "a2", "b0", "b1"], messages.Select(m => m.BodyAsString()));
        Assert.Equal(["tag-a0", "tag-a1", "tag-a2", "tag-b0", "tag-b1"], messages.Select(m => m.Tag));
        Assert.Equal([0L, 1, 2, 0, 1], messages.Select(m => m.QueueOffset));
        Assert.All(messages, m => Assert.Equal((2, 42L, "broker-x", 1_700_000_000_000L), (m.QueueId, m.StoreId, m.Broker, m.BornTimestamp)));
        Assert.Same(messages[0].Topic, messages[2].Topic);
        Assert.Equal(5, messages.Select(m => m.MessageId).Distinct().Count());
    }

    [Fact]
    public async Task Decode_ACorruptBodyByteOrATruncatedRecord_ThrowsInsteadOfDeliveringIt()
    {
        using var directory = new TempDirectory();
        await using var store = await MessageStore.OpenAsync(new MessageStoreOptions { Directory = directory.Path });
        var records = await StoreAndReadAsync(store, "alpha", "hello", "world");

        var corrupt = (byte[])records.Clone();
        corrupt[^2] ^= 0x20; // a byte of the second record's body
        var checksum = Assert.Throws<InvalidDataException>(() => ReceivedMessage.Decode(corrupt, 2, 1, "b"));
        Assert.Contains("checksum mismatch", checksum.Message);

        var truncated = Assert.Throws<InvalidDataException>(() => ReceivedMessage.Decode(records.AsMemory(0, records.Length - 1), 2, 1, "b"));
        Assert.Contains("truncated record", truncated.Message);
    }
}
