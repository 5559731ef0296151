using System.Buffers;
using OrleansMq.Grains.Hosting;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Transactions;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.Configuration;

namespace OrleansMq.Grains.Tests.Unit;

/// <summary>The encodings of idempotent sequences, half messages and op markers, and the options of both features.</summary>
public sealed class TransactionRecordsTests
{
    [Theory]
    [InlineData(1L, 0L)]
    [InlineData(-1L, 42L)]
    [InlineData(0x00C0FFEE12345678L, long.MaxValue)]
    [InlineData(long.MinValue, 1L)]
    public void SequenceProperty_RoundTripsAfterOtherProperties(long producerId, long sequence)
    {
        var head = MessageProperties.Encode([new KeyValuePair<string, string>("TAGS", "a"), new KeyValuePair<string, string>("k", "v")]);
        var buffer = new byte[head.Length + SequenceProperty.MaxEncodedSize];
        head.CopyTo(buffer, 0);
        var length = head.Length + SequenceProperty.Write(buffer.AsSpan(head.Length), producerId, sequence);
        var encoded = buffer.AsSpan(0, length);

        Assert.True(MessageProperties.IsValid(encoded));
        Assert.True(SequenceProperty.TryRead(encoded, out var id, out var seq));
        Assert.Equal((producerId, sequence), (id, seq));
        Assert.Equal($"{(ulong)producerId:X16}:{sequence}", MessageProperties.Decode(encoded)[PropertyNames.ProducerSequence]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00C0FFEE12345678")]
    [InlineData("00C0FFEE12345678:")]
    [InlineData("00C0FFEE12345678:-1")]
    [InlineData("00C0FFEE1234567:12")]
    [InlineData("0000000000000000:12")]
    [InlineData("00C0FFEE12345678:12x")]
    public void SequenceProperty_MalformedValue_NotRead(string value)
    {
        var encoded = MessageProperties.Encode([new KeyValuePair<string, string>(PropertyNames.ProducerSequence, value)]);
        Assert.False(SequenceProperty.TryRead(encoded, out _, out _));
        Assert.False(SequenceProperty.TryRead(MessageProperties.Encode([]), out _, out _));
    }

    [Fact]
    public void HalfProperties_RoundTrip_AndDeliveryDropsTheBookkeepingOnly()
    {
        var user = MessageProperties.Encode([new("UNIQ_KEY", "U1"), new("KEYS", "k1 k2"), new("amount", "42")]);
        var half = TransactionRecords.HalfProperties(user, "orders", 3, "pg-1", "host@1@abc", 1_700_000_000_123);

        Assert.True(TransactionRecords.TryReadHalf(half, out var info));
        Assert.Equal(new HalfInfo("orders", 3, "pg-1", "host@1@abc", 1_700_000_000_123, "U1"), info);
        var delivered = MessageProperties.Decode(TransactionRecords.ForDelivery(half));
        Assert.Equal(
            new Dictionary<string, string> { ["UNIQ_KEY"] = "U1", ["KEYS"] = "k1 k2", ["amount"] = "42", ["PGROUP"] = "pg-1", ["TRAN_MSG"] = "true" },
            delivered);
        Assert.False(TransactionRecords.TryReadHalf(user, out _));
    }

    [Theory]
    [InlineData(TransactionRecords.Commit, MessageFlags.TransactionCommit)]
    [InlineData(TransactionRecords.Rollback, MessageFlags.TransactionRollback)]
    [InlineData(TransactionRecords.Discard, MessageFlags.TransactionRollback)]
    [InlineData(TransactionRecords.Check, MessageFlags.None)]
    public void OpMarker_RoundTrips(string kind, MessageFlags flags)
    {
        var batch = new ArrayBufferWriter<byte>();
        TransactionRecords.WriteOp(batch, kind, 17, [4096, 8192, long.MaxValue], 1234);
        var reader = new MessageBatchReader(batch.WrittenSpan);
        Assert.True(reader.TryRead(out var entry));
        Assert.Equal((1234L, flags), (entry.BornTimestamp, entry.Flags));
        var record = new StoredMessage
        {
            LogOffset = 0,
            MessageId = default,
            Topic = "op",
            QueueId = 0,
            QueueOffset = 0,
            BornTimestamp = 1234,
            StoreTimestamp = 1,
            Flags = flags,
            Properties = entry.Properties.ToArray(),
            Body = entry.Body.ToArray(),
            StoredSize = 0,
        };

        Assert.True(TransactionRecords.TryReadOp(record, out var readKind, out var recoverFrom, out var halves));
        Assert.Equal((kind, 17L), (readKind, recoverFrom));
        Assert.Equal([4096L, 8192L, long.MaxValue], halves);
    }

    [Fact]
    public void TransactionOptions_Defaults_AreRocketMqs_AndValid()
    {
        var options = new TransactionOptions();
        Assert.Equal((TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(30), 15), (options.TransactionTimeout, options.CheckInterval, options.MaxChecks));
        Assert.Equal(TimeSpan.FromSeconds(6) + TimeSpan.FromSeconds(30 * 14), options.MaxPendingTime);
        Assert.Empty(options.Validate());
        Assert.True(new TransactionOptionsValidator(Microsoft.Extensions.Options.Options.Create(new MessageStoreOptions())).Validate(null, options).Succeeded);
    }

    [Fact]
    public void TransactionOptions_OutOfRange_EachProblemNamedWithItsLimit()
    {
        var errors = new TransactionOptions
        {
            TransactionTimeout = TimeSpan.Zero,
            CheckInterval = TimeSpan.FromDays(2),
            MaxChecks = 0,
            CheckTimeout = TimeSpan.FromMilliseconds(10),
            CheckBatchSize = 0,
            ProducerHeartbeatInterval = TimeSpan.FromSeconds(10),
            ProducerExpiry = TimeSpan.FromSeconds(15),
        }.Validate();

        Assert.Contains(errors, e => e.StartsWith("TransactionOptions.TransactionTimeout is 00:00:00; it must be between 00:00:01", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("TransactionOptions.CheckInterval is 2.00:00:00", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("TransactionOptions.MaxChecks is 0; it must be between 1 and 1000", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("TransactionOptions.CheckTimeout is 00:00:00.0100000", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("TransactionOptions.CheckBatchSize is 0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("TransactionOptions.ProducerExpiry is 00:00:15; it must be at least twice", StringComparison.Ordinal));
    }

    [Fact]
    public void TransactionOptions_PendingLongerThanRetention_Refused()
    {
        var options = new TransactionOptions { CheckInterval = TimeSpan.FromHours(1), MaxChecks = 100 };
        var result = new TransactionOptionsValidator(Microsoft.Extensions.Options.Options.Create(new MessageStoreOptions { Retention = TimeSpan.FromHours(72) })).Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains("below the store retention (3.00:00:00)", result.FailureMessage);
    }

    [Fact]
    public void IdempotenceOptions_OutOfRange_Named()
    {
        Assert.Empty(new IdempotenceOptions().Validate());
        var errors = new IdempotenceOptions { RecoveryRecords = -1, MaxProducersPerQueue = 0, GapWait = TimeSpan.FromMinutes(2) }.Validate();
        Assert.Contains("IdempotenceOptions.RecoveryRecords is -1; it must be between 0 and 1000000.", errors);
        Assert.Contains("IdempotenceOptions.MaxProducersPerQueue is 0; it must be between 1 and 1000000.", errors);
        Assert.Contains("IdempotenceOptions.GapWait is 00:02:00; it must be between 00:00:00 and 00:01:00.", errors);
        Assert.Contains("IdempotenceOptions.GapWait is -00:00:01", Assert.Single(new IdempotenceOptions { GapWait = TimeSpan.FromSeconds(-1) }.Validate()));
    }
}
