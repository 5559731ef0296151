using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using OrleansMq.Grains.Messages;

namespace OrleansMq.Grains.Tests.Unit;

/// <summary>Pull records travel as <see cref="MessageBytes"/> (batches as <see cref="BatchBytes"/>): read into uninitialized arrays, byte-exact.</summary>
public sealed class MessageBytesTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(AppendRequest).Assembly))
        .BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_536)]
    [InlineData(300_000)]
    public void AppendRequest_RoundTrip_KeepsEveryByteAndField(int length)
    {
        var batch = RandomBytes(length);
        var request = new AppendRequest(batch, 3, HasScheduled: true, ProducerId: 7, BaseSequence: 11, Resync: true);

        var copy = RoundTrip(request);

        Assert.Equal(batch, copy.Batch.Span.ToArray());
        Assert.Equal((3, true, 7L, 11L, true), (copy.Count, copy.HasScheduled, copy.ProducerId, copy.BaseSequence, copy.Resync));
    }

    [Fact]
    public void PullResponse_RoundTrip_KeepsRecordsAndFollowingFields()
    {
        var records = RandomBytes(200_000);
        var response = new PullResponse(PullStatus.Found, records, 42, 43, 1, 44, 99, "none");

        var copy = RoundTrip(response);

        Assert.Equal(records, copy.Records.Span.ToArray());
        Assert.Equal((PullStatus.Found, 42, 43L, 1L, 44L, 99L, "none"), (copy.Status, copy.Count, copy.NextOffset, copy.MinOffset, copy.MaxOffset, copy.StoreId, copy.Error));
    }

    [Fact]
    public void Deserialize_TruncatedBytes_Throws_InsteadOfHandingOutUnfilledMemory()
    {
        var serializer = _services.GetRequiredService<Serializer<PullResponse>>();
        var bytes = serializer.SerializeToArray(new PullResponse(PullStatus.Found, RandomBytes(4_096), 1, 1, 0, 1, 1, null));

        Assert.ThrowsAny<Exception>(() => serializer.Deserialize(bytes.AsSpan(0, bytes.Length / 2).ToArray()));
    }

    [Fact]
    public void DeepCopy_CopiesIntoANewArray()
    {
        var original = new MessageBytes(RandomBytes(100));

        var copy = _services.GetRequiredService<DeepCopier<MessageBytes>>().Copy(original);

        Assert.Equal(original.Span.ToArray(), copy.Span.ToArray());
        Assert.False(original.Span == copy.Span, "the copy shares the original's memory");
    }

    private T RoundTrip<T>(T value)
    {
        var serializer = _services.GetRequiredService<Serializer<T>>();
        return serializer.Deserialize(serializer.SerializeToArray(value))!;
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }
}
