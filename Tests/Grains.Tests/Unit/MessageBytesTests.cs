using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using OrleansMq.Grains.Messages;

namespace OrleansMq.Grains.Tests.Unit;

/// <summary>
/// Pull records travel as <see cref="MessageBytes"/>, read into uninitialized arrays; a producer's batch as
/// <see cref="BatchBytes"/>, read into a pooled buffer that goes back once. Both byte-exact.
/// </summary>
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

    [Theory]
    [InlineData(1, true)]
    [InlineData(150_000, true)]
    [InlineData(BatchBytesCodec.MaxPooledLength, true)]
    [InlineData(BatchBytesCodec.MaxPooledLength + 1, false)]
    public void Deserialized_Batch_IsPooledUpTo1MiB_AndByteExact(int length, bool pooled)
    {
        var batch = RandomBytes(length);

        var copy = RoundTrip(new AppendRequest(batch, 1));

        Assert.Equal(batch, copy.Batch.Span.ToArray());
        Assert.Equal(pooled, copy.Batch.IsPooled);
        copy.Batch.Release();
    }

    [Fact]
    public void Batch_MadeByTheSender_IsNotPooled_AndReleaseLeavesItAlone()
    {
        var bytes = RandomBytes(1_000);
        var batch = new BatchBytes(bytes);

        batch.Release();

        Assert.False(batch.IsPooled);
        Assert.Equal(RandomBytes(1_000), batch.Span.ToArray());
    }

    [Fact]
    public void Release_ReturnsTheBufferToThePool_OnceWhateverTheNumberOfCopiesReleased()
    {
        // A fresh thread has an empty per-thread slot in the shared pool: the first return lands there and the next rent
        // of that size takes it back. A second return of the same array would go to the shared stacks, from where the
        // second rent would hand the same array out again: two batches in one buffer.
        const int Length = 900_000;
        byte[]? released = null, first = null, second = null;
        var thread = new Thread(() =>
        {
            var request = RoundTrip(new AppendRequest(RandomBytes(Length), 1));
            Assert.True(MemoryMarshal.TryGetArray(request.Batch.Memory, out var segment));
            released = segment.Array;
            var copy = request.Batch;
            request.Batch.Release();
            copy.Release();
            first = ArrayPool<byte>.Shared.Rent(Length);
            second = ArrayPool<byte>.Shared.Rent(Length);
            ArrayPool<byte>.Shared.Return(second);
            ArrayPool<byte>.Shared.Return(first);
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "the pooling thread did not finish within 30 s");

        Assert.NotNull(released);
        Assert.Same(released, first);
        Assert.NotSame(released, second);
    }

    [Fact]
    public void DeepCopy_OfAPooledBatch_IsItsOwnUnpooledArray()
    {
        var request = RoundTrip(new AppendRequest(RandomBytes(4_096), 1));

        var copy = _services.GetRequiredService<DeepCopier<BatchBytes>>().Copy(request.Batch);
        request.Batch.Release();

        Assert.False(copy.IsPooled);
        Assert.Equal(RandomBytes(4_096), copy.Span.ToArray());
    }

    [Fact]
    public void Deserialize_TruncatedBatch_Throws_InsteadOfHandingOutUnfilledMemory()
    {
        var serializer = _services.GetRequiredService<Serializer<AppendRequest>>();
        var bytes = serializer.SerializeToArray(new AppendRequest(RandomBytes(4_096), 1));

        Assert.ThrowsAny<Exception>(() => serializer.Deserialize(bytes.AsSpan(0, bytes.Length / 2).ToArray()));
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
