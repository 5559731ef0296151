using System.Buffers;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.Configuration;
using OrleansMq.Storage.Flush;
using OrleansMq.Storage.Internal;
using OrleansMq.Storage.Retention;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

/// <summary>Small-file store options, batch builders and record helpers shared by the storage tests.</summary>
internal static class StoreHarness
{
    public static MessageStoreOptions Options(string directory, long segmentSize = 64 * 1024, FlushPolicy? flush = null) => new()
    {
        Directory = directory,
        SegmentSize = segmentSize,
        MaxBodySize = 4 * 1024,
        MaxPropertiesSize = 1024,
        ConsumeQueueEntriesPerFile = 64,
        IndexEntriesPerFile = 256,
        MinFreeDiskBytes = 0,
        FlushPolicy = flush ?? FlushPolicy.Sync,
    };

    public static Task<MessageStore> OpenAsync(MessageStoreOptions options, StoreTestHooks? hooks = null, TimeProvider? time = null)
        => Wait.ForAsync(MessageStore.OpenAsync(options, hooks ?? new StoreTestHooks(), null, time), $"store open in {options.Directory}");

    /// <summary>A batch of one message.</summary>
    public static byte[] One(string body, IEnumerable<KeyValuePair<string, string>>? properties = null, long born = 1_700_000_000_000, MessageFlags flags = MessageFlags.None)
    {
        var writer = new ArrayBufferWriter<byte>();
        MessageBatchWriter.Write(writer, born, flags, properties is null ? [] : MessageProperties.Encode(properties), Encoding.UTF8.GetBytes(body));
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>A batch of <paramref name="count"/> messages with bodies "{prefix}-{i}".</summary>
    public static byte[] Many(int count, string prefix, Func<int, IEnumerable<KeyValuePair<string, string>>?>? properties = null)
    {
        var writer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < count; i++)
        {
            var props = properties?.Invoke(i);
            MessageBatchWriter.Write(writer, 1_700_000_000_000 + i, MessageFlags.None, props is null ? [] : MessageProperties.Encode(props), Encoding.UTF8.GetBytes($"{prefix}-{i}"));
        }

        return writer.WrittenSpan.ToArray();
    }

    public static byte[] Raw(params (byte[] Properties, byte[] Body)[] entries)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach (var (properties, body) in entries)
        {
            MessageBatchWriter.Write(writer, 1, MessageFlags.None, properties, body);
        }

        return writer.WrittenSpan.ToArray();
    }

    public static Dictionary<string, string> Props(params (string Name, string Value)[] pairs)
        => pairs.ToDictionary(p => p.Name, p => p.Value);

    /// <summary>Parses every record of a read result into (queue offset, body text, log offset).</summary>
    public static List<(long QueueOffset, string Body, long LogOffset)> Records(ReadResult result)
    {
        var list = new List<(long, string, long)>();
        var span = result.Records.Span;
        while (!span.IsEmpty)
        {
            Assert.True(StoredRecord.TryParse(span, out var record), "a whole record");
            list.Add((record.QueueOffset, Encoding.UTF8.GetString(record.Body), record.LogOffset));
            span = span[record.TotalSize..];
        }

        Assert.Equal(result.Count, list.Count);
        return list;
    }

    /// <summary>Reads a whole queue from <paramref name="from"/> in batches.</summary>
    public static List<(long QueueOffset, string Body, long LogOffset)> ReadAll(MessageStore store, string topic, int queueId, long from = 0)
    {
        var all = new List<(long, string, long)>();
        var offset = from;
        while (true)
        {
            var result = store.Read(topic, queueId, offset, 64, 1 << 20);
            if (result.Status != ReadStatus.Found)
            {
                Assert.Equal(ReadStatus.NoNewMessage, result.Status);
                return all;
            }

            all.AddRange(Records(result));
            offset = result.NextQueueOffset;
        }
    }

    /// <summary>Copies a store directory (a crash image when the store is still open).</summary>
    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) == "lock" || file.EndsWith(".prepared", StringComparison.Ordinal))
            {
                continue; // The lock carries no data; a segment being prepared is discarded by recovery anyway.
            }

            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public static string Topic(string test) => $"{test}-{Guid.NewGuid():N}"[..Math.Min(60, test.Length + 33)];

    public static FakeTimeProvider FakeNow() => new(DateTimeOffset.UtcNow);
}

/// <summary>A disk whose free space a test sets.</summary>
internal sealed class FakeDiskSpaceProbe(long total, long free) : IDiskSpaceProbe
{
    public long Total { get; set; } = total;

    public long Free { get; set; } = free;

    public Func<long>? FreeFunction { get; set; }

    public DiskSpace Probe(string directory) => new(Total, FreeFunction?.Invoke() ?? Free);

    /// <summary>Bytes of the files in <paramref name="directory"/>; files vanishing meanwhile (background deletes) count as 0.</summary>
    public static long Bytes(string directory, bool includePrepared)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        long total = 0;
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles())
        {
            if (includePrepared || !file.Name.EndsWith(".prepared", StringComparison.Ordinal))
            {
                try
                {
                    total += file.Length;
                }
                catch (FileNotFoundException)
                {
                }
            }
        }

        return total;
    }
}
