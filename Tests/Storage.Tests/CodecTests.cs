using System.Buffers;
using System.Text;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.ConsumeQueue;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.Tests;

public sealed class CodecTests
{
    [Fact]
    public void Crc32C_StandardCheckValue_Matches()
        => Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public void Crc32C_EveryLengthAndSplit_MatchesTheBytewiseDefinition()
    {
        // Lengths cross every lane size (3 x 128, 3 x 256, 3 x 1024 bytes) and each tail; a wrong shift table or lane
        // join changes the result for every length past 383 bytes.
        var random = new Random(20261207);
        var data = new byte[3 * 1024 * 2 + 700];
        random.NextBytes(data);
        for (var length = 0; length <= data.Length; length += length < 3200 ? 1 : 97)
        {
            var span = data.AsSpan(0, length);
            var seed = (uint)random.Next() ^ ((uint)random.Next() << 16);
            Assert.Equal(Bytewise(seed, span), Crc32C.Append(seed, span));

            var split = random.Next(length + 1);
            Assert.Equal(Bytewise(seed, span), Crc32C.Append(Crc32C.Append(seed, span[..split]), span[split..]));
        }

        Assert.Equal(~Bytewise(Crc32C.Seed, data.AsSpan(1, 1200)), Crc32C.Compute(data.AsSpan(1, 1200))); // unaligned start

        static uint Bytewise(uint state, ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes)
            {
                state = System.Numerics.BitOperations.Crc32C(state, b);
            }

            return state;
        }
    }

    [Fact]
    public void MessageProperties_RoundTrip_KeepsEveryPair()
    {
        var input = new Dictionary<string, string> { ["TAGS"] = "TagA", ["KEYS"] = "k1 k2", ["empty"] = "", ["ünï"] = new string('x', 300) };
        var encoded = MessageProperties.Encode(input);
        Assert.True(MessageProperties.IsValid(encoded));
        Assert.Equal(input, MessageProperties.Decode(encoded));
        Assert.Equal("k1 k2", MessageProperties.GetString(encoded, "KEYS"));
        Assert.Null(MessageProperties.GetString(encoded, "missing"));
        Assert.True(MessageProperties.TryGetValue(encoded, "TAGS"u8, out var tag));
        Assert.Equal("TagA"u8.ToArray(), tag.ToArray());
    }

    [Fact]
    public void MessageProperties_EmptyName_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => MessageProperties.Encode(new Dictionary<string, string> { [""] = "v" }));
        Assert.Contains("must not be empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MessageProperties_DuplicateName_Throws()
        => Assert.Throws<ArgumentException>(() => MessageProperties.Encode([new("a", "1"), new("a", "2")]));

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(40)]
    public void MessageProperties_List_EncodesAsAnyEnumerableAndChecksNames(int count)
    {
        // A list takes the exact-size path (pairwise name check up to 8 names, a set beyond); a lazy sequence the buffer one.
        var list = Enumerable.Range(0, count).Select(i => new KeyValuePair<string, string>($"name{i}-ü", new string('v', i * 50))).ToList();
        var encoded = MessageProperties.Encode(list);
        Assert.Equal(MessageProperties.Encode(list.Select(p => p)), encoded);
        Assert.Equal(list.ToDictionary(), MessageProperties.Decode(encoded));

        list.Add(new(list[count / 2].Key, "again"));
        var repeated = Assert.Throws<ArgumentException>(() => MessageProperties.Encode(list));
        Assert.Contains($"'{list[count / 2].Key}' appears more than once", repeated.Message, StringComparison.Ordinal);
        list[^1] = new("", "v");
        var empty = Assert.Throws<ArgumentException>(() => MessageProperties.Encode(list));
        Assert.Contains("must not be empty", empty.Message, StringComparison.Ordinal);
        Assert.Equal("properties", empty.ParamName);
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0x00 })]               // empty name
    [InlineData(new byte[] { 0x05, 0x41 })]               // name runs past the end
    [InlineData(new byte[] { 0x01, 0x41 })]               // missing value length
    [InlineData(new byte[] { 0x01, 0x41, 0x09, 0x42 })]   // value runs past the end
    [InlineData(new byte[] { 0x01, 0xFF, 0x00 })]         // invalid UTF-8
    [InlineData(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 })] // varint too long
    public void MessageProperties_Malformed_IsInvalid(byte[] encoded)
    {
        Assert.False(MessageProperties.IsValid(encoded));
    }

    [Fact]
    public void MessageProperties_MalformedDecode_ThrowsWithPosition()
    {
        var ex = Assert.Throws<FormatException>(() => MessageProperties.Decode([0x01, 0x41, 0x09, 0x42]));
        Assert.Contains("at byte", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MessageBatch_RoundTrip_ReadsEveryEntry()
    {
        var writer = new ArrayBufferWriter<byte>();
        MessageBatchWriter.Write(writer, 11, MessageFlags.Compressed, [1, 2], [9]);
        MessageBatchWriter.Write(writer, 22, MessageFlags.None, [], [7, 8, 9]);
        var reader = new MessageBatchReader(writer.WrittenSpan);
        Assert.True(reader.TryRead(out var first));
        Assert.Equal(11, first.BornTimestamp);
        Assert.Equal(MessageFlags.Compressed, first.Flags);
        Assert.Equal([1, 2], first.Properties.ToArray());
        Assert.Equal([9], first.Body.ToArray());
        Assert.True(reader.TryRead(out var second));
        Assert.Equal([7, 8, 9], second.Body.ToArray());
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void MessageBatchReader_TruncatedEntry_ThrowsNamingEntryAndPosition()
    {
        var batch = StoreHarness.Many(2, "x");
        var ex = Assert.Throws<FormatException>(() =>
        {
            var reader = new MessageBatchReader(batch.AsSpan(0, batch.Length - 1));
            while (reader.TryRead(out _))
            {
            }
        });
        Assert.Contains("entry 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MessageId_RoundTrip_Is32UpperHex()
    {
        var id = new MessageId(unchecked((long)0xFEDCBA9876543210), 0x1234);
        var text = id.ToString();
        Assert.Equal("FEDCBA98765432100000000000001234", text);
        Assert.True(MessageId.TryParse(text.ToLowerInvariant(), out var parsed));
        Assert.Equal(id, parsed);
        Assert.False(MessageId.TryParse("XYZ", out _));
        Assert.False(MessageId.TryParse(text + "0", out _));
    }

    [Fact]
    public void TagHash_EmptyIsZero_StringAndBytesAgree()
    {
        Assert.Equal(0, TagHash.Compute((string?)null));
        Assert.Equal(0, TagHash.Compute(""));
        Assert.Equal(TagHash.Compute("TagA"), TagHash.Compute("TagA"u8));
        Assert.NotEqual(TagHash.Compute("TagA"), TagHash.Compute("TagB"));
    }

    [Fact]
    public void StoredRecord_RoundTrip_EveryField()
    {
        var buffer = new byte[256];
        var size = RecordLayout.Write(buffer, "topic"u8, 3, 42, 4096, 111, 222, MessageFlags.TransactionPrepared, [1, 1, 0x41, 0], "body"u8);
        Assert.True(StoredRecord.TryParse(buffer.AsSpan(0, size), out var record));
        Assert.Equal(size, record.TotalSize);
        Assert.Equal(3, record.QueueId);
        Assert.Equal(42, record.QueueOffset);
        Assert.Equal(4096, record.LogOffset);
        Assert.Equal(111, record.BornTimestamp);
        Assert.Equal(222, record.StoreTimestamp);
        Assert.Equal(MessageFlags.TransactionPrepared, record.Flags);
        Assert.Equal("topic", Encoding.UTF8.GetString(record.Topic));
        Assert.Equal([1, 1, 0x41, 0], record.Properties.ToArray());
        Assert.Equal("body", Encoding.UTF8.GetString(record.Body));
        Assert.False(StoredRecord.TryParse(buffer.AsSpan(0, size - 1), out _));

        var message = StoredMessage.From(buffer.AsMemory(0, size), 7);
        Assert.Equal(new MessageId(7, 4096), message.MessageId);
        Assert.Equal("topic", message.Topic);
        Assert.Equal(size, message.StoredSize);
    }

    [Fact]
    public void StoredRecord_FlippedBit_ThrowsInvalidData()
    {
        var buffer = new byte[128];
        var size = RecordLayout.Write(buffer, "t"u8, 0, 0, 0, 1, 2, MessageFlags.None, [], "x"u8);
        for (var bit = 0; bit < size * 8; bit += 7)
        {
            var copy = buffer.AsSpan(0, size).ToArray();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            try
            {
                var parsed = StoredRecord.TryParse(copy, out _);
                Assert.False(parsed, $"bit {bit} flip must not parse as valid");
            }
            catch (InvalidDataException)
            {
            }
        }
    }

    [Fact]
    public void ConsumeQueueEntry_RoundTrip_TwentyBytes()
    {
        Span<byte> bytes = stackalloc byte[ConsumeQueueEntry.Size];
        var entry = new ConsumeQueueEntry(123456789012, 345, -42);
        entry.WriteTo(bytes);
        Assert.Equal(entry, new ConsumeQueueEntry(bytes));
        Assert.Equal(20, ConsumeQueueEntry.Size);
    }
}
