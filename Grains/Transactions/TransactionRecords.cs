using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using OrleansMq.Grains.Messages;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Transactions;

/// <summary>How half messages and op markers are encoded in the broker-local transaction topics.</summary>
/// <remarks>
/// A half message is the producer's entry stored in <c>RMQ_SYS_TRANS_HALF_TOPIC</c> queue 0 with flag
/// <see cref="MessageFlags.TransactionPrepared"/> and these extra properties: <c>REAL_TOPIC</c>, <c>REAL_QID</c>,
/// <c>PGROUP</c>, <c>TRAN_MSG=true</c>, <c>TRAN_PRODUCER</c> (member id) and <c>TRAN_PREPARED_MS</c> (scheduling
/// clock, Unix ms). An op marker in <c>RMQ_SYS_TRANS_OP_HALF_TOPIC</c> queue 0 has the property <c>TRAN_OP</c> (its
/// kind), its born timestamp is the scheduling clock when written, and its body is little-endian:
/// <code>
///  #  offset  size   field
///  1       0     8   RecoverFrom   int64  every half message below this half queue offset was finished when written
///  2       8   8·n   Halves        int64  log offsets of the half messages this marker is about
/// </code>
/// Stateless and thread-safe.
/// </remarks>
internal static class TransactionRecords
{
    public const string Commit = "commit";
    public const string Rollback = "rollback";
    public const string Discard = "discard";
    public const string Check = "check";

    private static readonly HashSet<string> Bookkeeping = new(StringComparer.Ordinal)
    {
        PropertyNames.RealTopic, PropertyNames.RealQueueId, PropertyNames.TransactionProducer, PropertyNames.TransactionPreparedAt,
    };

    /// <summary>The properties of a half message: the producer's properties plus where it goes and who can check it.</summary>
    /// <exception cref="FormatException">Malformed producer properties.</exception>
    public static byte[] HalfProperties(ReadOnlySpan<byte> properties, string topic, int queueId, string group, string producerId, long preparedAt)
    {
        var decoded = MessageProperties.Decode(properties);
        decoded[PropertyNames.RealTopic] = topic;
        decoded[PropertyNames.RealQueueId] = queueId.ToString(CultureInfo.InvariantCulture);
        decoded[PropertyNames.ProducerGroup] = group;
        decoded[PropertyNames.TransactionPrepared] = "true";
        decoded[PropertyNames.TransactionProducer] = producerId;
        decoded[PropertyNames.TransactionPreparedAt] = preparedAt.ToString(CultureInfo.InvariantCulture);
        return MessageProperties.Encode(decoded);
    }

    /// <summary>Reads a half message's bookkeeping; false when the record is not a well-formed half message.</summary>
    public static bool TryReadHalf(ReadOnlySpan<byte> properties, out HalfInfo half)
    {
        half = default;
        Dictionary<string, string> decoded;
        try
        {
            decoded = MessageProperties.Decode(properties);
        }
        catch (FormatException)
        {
            return false;
        }

        if (!decoded.TryGetValue(PropertyNames.RealTopic, out var topic)
            || !decoded.TryGetValue(PropertyNames.RealQueueId, out var queue) || !int.TryParse(queue, NumberStyles.Integer, CultureInfo.InvariantCulture, out var queueId)
            || !decoded.TryGetValue(PropertyNames.ProducerGroup, out var group)
            || !decoded.TryGetValue(PropertyNames.TransactionPreparedAt, out var at) || !long.TryParse(at, NumberStyles.Integer, CultureInfo.InvariantCulture, out var preparedAt))
        {
            return false;
        }

        half = new HalfInfo(topic, queueId, group, decoded.GetValueOrDefault(PropertyNames.TransactionProducer, ""), preparedAt,
            decoded.GetValueOrDefault(PropertyNames.UniqueKey));
        return true;
    }

    /// <summary>The message as it is committed: the broker's bookkeeping removed; <c>PGROUP</c> and <c>TRAN_MSG</c> stay, as in RocketMQ.</summary>
    public static byte[] ForDelivery(ReadOnlySpan<byte> properties)
    {
        var decoded = MessageProperties.Decode(properties);
        foreach (var name in Bookkeeping)
        {
            decoded.Remove(name);
        }

        return MessageProperties.Encode(decoded);
    }

    /// <summary>An op marker about <paramref name="halves"/> (log offsets).</summary>
    public static void WriteOp(IBufferWriter<byte> batch, string kind, long recoverFrom, IReadOnlyList<long> halves, long now)
    {
        var body = new byte[8 + (halves.Count * 8)];
        BinaryPrimitives.WriteInt64LittleEndian(body, recoverFrom);
        for (var i = 0; i < halves.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(8 + (i * 8)), halves[i]);
        }

        var flags = kind switch
        {
            Commit => MessageFlags.TransactionCommit,
            Rollback or Discard => MessageFlags.TransactionRollback,
            _ => MessageFlags.None,
        };
        var properties = MessageProperties.Encode([new KeyValuePair<string, string>(PropertyNames.TransactionOp, kind)]);
        MessageBatchWriter.Write(batch, now, flags, properties, body);
    }

    /// <summary>Reads an op marker; false when the record is not one.</summary>
    public static bool TryReadOp(StoredMessage record, out string kind, out long recoverFrom, out long[] halves)
    {
        kind = MessageProperties.GetString(record.Properties.Span, PropertyNames.TransactionOp) ?? "";
        recoverFrom = 0;
        halves = [];
        var body = record.Body.Span;
        if (kind.Length == 0 || body.Length < 8 || body.Length % 8 != 0)
        {
            return false;
        }

        recoverFrom = BinaryPrimitives.ReadInt64LittleEndian(body);
        halves = new long[(body.Length / 8) - 1];
        for (var i = 0; i < halves.Length; i++)
        {
            halves[i] = BinaryPrimitives.ReadInt64LittleEndian(body[(8 + (i * 8))..]);
        }

        return true;
    }
}

/// <summary>A half message's bookkeeping.</summary>
/// <param name="Topic">Real topic.</param>
/// <param name="QueueId">Real queue id.</param>
/// <param name="Group">Producer group.</param>
/// <param name="ProducerId">Member id of the producer that prepared it.</param>
/// <param name="PreparedAt">Scheduling clock time of the prepare, Unix ms.</param>
/// <param name="UniqueKey">The producer's unique key, when present.</param>
internal readonly record struct HalfInfo(string Topic, int QueueId, string Group, string ProducerId, long PreparedAt, string? UniqueKey);
