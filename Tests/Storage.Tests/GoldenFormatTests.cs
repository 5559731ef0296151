using System.Buffers;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using OrleansMq.Storage.Checkpoint;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.ConsumeQueue;
using OrleansMq.Storage.Internal;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

/// <summary>
/// Pins the on-disk and wire formats. A failure here means existing logs or clients would break: change the
/// format only with a new version, never silently. Regenerate fixtures (only for a deliberate new format) with
/// <c>ORLEANSMQ_REGENERATE_GOLDEN=1 dotnet test Tests/Storage.Tests</c> and review the diff.
/// </summary>
public sealed class GoldenFormatTests
{
    private static readonly bool Regenerate = Environment.GetEnvironmentVariable("ORLEANSMQ_REGENERATE_GOLDEN") == "1";

    private static string FixturesSource([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.Combine(Path.GetDirectoryName(path)!, "fixtures");

    [Fact]
    public void Formats_MatchGoldenFile()
    {
        var actual = GoldenValues();
        var file = Path.Combine(FixturesSource(), "golden-format-v1.txt");
        if (Regenerate)
        {
            File.WriteAllLines(file, actual.Select(kv => $"{kv.Key} = {kv.Value}"));
        }

        var expected = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "fixtures", "golden-format-v1.txt"))
            .Where(line => line.Length > 0)
            .Select(line => line.Split(" = ", 2))
            .ToDictionary(p => p[0], p => p[1]);
        foreach (var (name, value) in actual)
        {
            Assert.True(expected.TryGetValue(name, out var pinned), $"golden value '{name}' missing from the fixture");
            Assert.True(pinned == value, $"format of '{name}' changed:\n pinned {pinned}\n actual {value}");
        }

        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
    }

    [Fact]
    public async Task FrozenStoreV1_OpensAndReadsEveryMessage()
    {
        var frozen = Path.Combine(AppContext.BaseDirectory, "fixtures", "store-v1");
        if (Regenerate)
        {
            await CreateFrozenStoreAsync(Path.Combine(FixturesSource(), "store-v1"));
            return;
        }

        using var dir = new TempDirectory("golden");
        StoreHarness.CopyDirectory(frozen, dir.Path);
        await using var store = await StoreHarness.OpenAsync(FrozenOptions(dir.Path));

        Assert.Equal(FrozenStoreId(frozen), store.StoreId);
        Assert.Equal([("golden", 0, new QueueRange(0, 3)), ("golden", 1, new QueueRange(0, 2))], store.ListQueues().Select(q => (q.Topic, q.QueueId, q.Range)));
        var queue0 = store.Read("golden", 0, 0, 10, 1 << 20);
        var records = StoreHarness.Records(queue0);
        Assert.Equal(["g0", "g1", "g2"], records.Select(r => r.Body));
        Assert.True(StoredRecord.TryParse(queue0.Records.Span, out var first));
        Assert.Equal(1_700_000_000_000, first.StoreTimestamp);
        Assert.Equal("A", MessageProperties.GetString(first.Properties, "TAGS"));
        Assert.Equal("g3", Encoding.UTF8.GetString(store.QueryByKey("golden", "k3", 10, 0, long.MaxValue).Single().Body.Span));
        Assert.Equal(2, store.GetQueueOffsetByTime("golden", 0, 1_700_000_004_000));
    }

    private static SortedDictionary<string, string> GoldenValues()
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var properties = MessageProperties.Encode([new("TAGS", "TagA"), new("KEYS", "k1 k2"), new("UNIQ_KEY", "U1")]);
        values["properties"] = Convert.ToHexString(properties);

        var record = new byte[256];
        var size = RecordLayout.Write(record, "TopicA"u8, 7, 42, 0x10000, 1_700_000_000_123, 1_700_000_000_456, MessageFlags.TransactionPrepared | MessageFlags.Compressed, properties, "hello"u8);
        values["record.header"] = Convert.ToHexString(record, 0, RecordLayout.HeaderSize);
        values["record.whole"] = Convert.ToHexString(record, 0, size);

        var filler = new byte[RecordLayout.FillerSize];
        RecordLayout.WriteFiller(filler, 4000);
        values["record.filler"] = Convert.ToHexString(filler);

        var batch = new ArrayBufferWriter<byte>();
        MessageBatchWriter.Write(batch, 1_700_000_000_123, MessageFlags.Compressed, properties, "hello"u8);
        values["batch.entry"] = Convert.ToHexString(batch.WrittenSpan);

        var entry = new byte[ConsumeQueueEntry.Size];
        new ConsumeQueueEntry(0x10000, size, TagHash.Compute("TagA")).WriteTo(entry);
        values["consumequeue.entry"] = Convert.ToHexString(entry);
        values["taghash.TagA"] = TagHash.Compute("TagA").ToString("X16", System.Globalization.CultureInfo.InvariantCulture);

        var slot = new byte[CheckpointFile.SlotSize];
        CheckpointFile.Encode(slot, 3, new CheckpointData(1000, 900, 1_700_000_000_456, Clean: true));
        values["checkpoint.slot"] = Convert.ToHexString(slot);

        var meta = new byte[StoreMetadata.Size];
        StoreMetadata.Encode(meta, 0x0123456789ABCDEF, 1_700_000_000_000);
        values["store.meta"] = Convert.ToHexString(meta);

        values["index.keyhash"] = Index.KeyIndex.Hash(Index.IndexKind.Key, "TopicA"u8, "k1"u8).ToString("X8", System.Globalization.CultureInfo.InvariantCulture);
        values["index.magic"] = Index.IndexFile.Magic.ToString("X8", System.Globalization.CultureInfo.InvariantCulture);
        values["messageid"] = new MessageId(0x0123456789ABCDEF, 0x10000).ToString();

        foreach (var flag in Enum.GetValues<MessageFlags>())
        {
            values[$"enum.MessageFlags.{flag}"] = ((int)flag).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var status in Enum.GetValues<AppendStatus>())
        {
            values[$"enum.AppendStatus.{status}"] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var status in Enum.GetValues<ReadStatus>())
        {
            values[$"enum.ReadStatus.{status}"] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return values;
    }

    private static Configuration.MessageStoreOptions FrozenOptions(string directory) => new()
    {
        Directory = directory,
        SegmentSize = 4096,
        MaxBodySize = 1024,
        MaxPropertiesSize = 256,
        ConsumeQueueEntriesPerFile = 16,
        IndexEntriesPerFile = 16,
        MinFreeDiskBytes = 0,
    };

    private static long FrozenStoreId(string directory)
        => BitConverter.ToInt64(File.ReadAllBytes(Path.Combine(directory, StoreMetadata.FileName)), 8);

    private static async Task CreateFrozenStoreAsync(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        await using (var store = await MessageStore.OpenAsync(FrozenOptions(directory), new StoreTestHooks { CheckpointInterval = Timeout.InfiniteTimeSpan }, null, time))
        {
            for (var i = 0; i < 5; i++)
            {
                var props = StoreHarness.Props(("TAGS", i % 2 == 0 ? "A" : "B"), ("KEYS", $"k{i}"), ("UNIQ_KEY", $"U{i}"));
                await store.AppendAsync("golden", i < 3 ? 0 : 1, StoreHarness.One($"g{i}", props));
                time.Advance(TimeSpan.FromSeconds(2));
            }
        }

        File.Delete(Path.Combine(directory, "lock"));
    }
}
