using OrleansMq.Client.Producing;

namespace OrleansMq.Grains.Tests.Unit;

public sealed class InFlightLimiterTests
{
    [Fact]
    public async Task Acquire_BeyondMessageLimit_WaitsUntilRelease()
    {
        var limiter = new InFlightLimiter(maxMessages: 2, maxBytes: 1_000);
        await limiter.AcquireAsync(10, default);
        await limiter.AcquireAsync(10, default);
        var third = limiter.AcquireAsync(10, default).AsTask();
        Assert.False(third.IsCompleted);

        limiter.Release(10);
        await third.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, limiter.InFlightMessages);
    }

    [Fact]
    public async Task Acquire_BeyondByteLimit_WaitsFifo_AndOversizedAdmittedWhenAlone()
    {
        var limiter = new InFlightLimiter(maxMessages: 100, maxBytes: 100);
        await limiter.AcquireAsync(500, default); // alone: admitted although above the byte limit
        var small = limiter.AcquireAsync(10, default).AsTask();
        Assert.False(small.IsCompleted);
        limiter.Release(500);
        await small.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Acquire_Cancelled_DoesNotLeakCapacity()
    {
        var limiter = new InFlightLimiter(maxMessages: 1, maxBytes: 1_000);
        await limiter.AcquireAsync(1, default);
        using var cancel = new CancellationTokenSource();
        var waiting = limiter.AcquireAsync(1, cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        limiter.Release(1);
        Assert.Equal(0, limiter.InFlightMessages);
        await limiter.AcquireAsync(1, default).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void UniqueKeys_AreUniqueAndThirtyTwoHexDigits()
    {
        var keys = Enumerable.Range(0, 10_000).Select(_ => UniqueKeyGenerator.Next().ToString()).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.All(keys, k => Assert.Matches("^[0-9A-F]{32}$", k));

        // One process prefix, then a counter: keys made one after another increase (other tests' producers draw from the
        // same counter meanwhile, so not necessarily by one) and sort in creation order.
        Assert.Single(keys.Select(k => k[..16]).Distinct());
        var counters = keys.Select(k => ulong.Parse(k[16..], System.Globalization.NumberStyles.HexNumber)).ToList();
        Assert.All(counters.Zip(counters.Skip(1)), p => Assert.True(p.Second > p.First, $"{p.Second:X16} follows {p.First:X16}"));
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
    }

    [Fact]
    public void UniqueKey_WrittenAsBytes_IsItsTextAndIsPutLastInTheEncodedProperties()
    {
        var key = UniqueKeyGenerator.Next();
        var digits = new byte[UniqueKeyGenerator.Length];
        key.Write(digits);
        Assert.Equal(key.ToString(), System.Text.Encoding.ASCII.GetString(digits));

        var message = new OrleansMq.Client.Messages.Message("orders", "body") { Tag = "T" };
        Assert.Null(message.KeysOrNull); // Made on first use only: most messages have no keys or properties.
        Assert.Null(message.PropertiesOrNull);
        message.Properties["region"] = "eu";
        var encoded = MessageEncoder.Encode(message, new ProducerOptions(), key);
        Assert.Equal(key.ToString(), OrleansMq.Storage.Codec.MessageProperties.GetString(encoded, "UNIQ_KEY"));
        Assert.Equal("eu", OrleansMq.Storage.Codec.MessageProperties.GetString(encoded, "region"));
        Assert.Equal("T", OrleansMq.Storage.Codec.MessageProperties.GetString(encoded, "TAGS"));
    }

    [Fact]
    public void UniqueKeyProperty_IsTheEncoderOwnEncoding_AndCountsAgainstTheLimitWhenWrittenWithTheBatch()
    {
        var key = UniqueKeyGenerator.Next();
        var property = new byte[UniqueKeyGenerator.PropertySize];
        Assert.Equal(property.Length, key.WriteProperty(property));
        Assert.Equal(OrleansMq.Storage.Codec.MessageProperties.Encode([new KeyValuePair<string, string>("UNIQ_KEY", key.ToString())]), property);

        // The producer leaves the key out (it writes it with the batch): a message with nothing else encodes to nothing.
        var options = new ProducerOptions { EnableIdempotence = false, MaxPropertiesSize = 100 };
        Assert.Empty(MessageEncoder.Encode(new OrleansMq.Client.Messages.Message("orders", "body"), options, uniqueKey: null));
        var tagged = MessageEncoder.Encode(new OrleansMq.Client.Messages.Message("orders", "body") { Tag = "T" }, options, uniqueKey: null);
        Assert.Equal("T", OrleansMq.Storage.Codec.MessageProperties.GetString(tagged, "TAGS"));
        Assert.Null(OrleansMq.Storage.Codec.MessageProperties.GetString(tagged, "UNIQ_KEY"));

        // 60 bytes of properties fit 100 alone but not with the key's 42: refused either way, naming the total.
        var near = new OrleansMq.Client.Messages.Message("orders", "body");
        near.Properties["p"] = new string('v', 57);
        var deferred = Assert.Throws<ArgumentException>(() => MessageEncoder.Encode(near, options, uniqueKey: null));
        Assert.Contains("take 102 bytes encoded; at most 100", deferred.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => MessageEncoder.Encode(near, options, key));
    }
}
