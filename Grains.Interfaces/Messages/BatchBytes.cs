using System.Buffers;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace OrleansMq.Grains.Messages;

/// <summary>
/// A producer's encoded batch (<see cref="AppendRequest.Batch"/>). Converts implicitly to and from
/// <see cref="ReadOnlyMemory{T}"/>; on the wire it is the same length-prefixed bytes as <see cref="MessageBytes"/>.
/// </summary>
/// <remarks>
/// Why not <see cref="MessageBytes"/>: a batch is needed only until the store has written it, so the broker reads it
/// into a pooled buffer that the queue grain hands back when the append completes. A fresh array per batch was most of
/// the broker's allocation in W1 (~240 MB/s, about 4 gen0 collections a second). Pull records cannot be pooled that way:
/// the consumer's messages keep slices of them.
/// </remarks>
public readonly struct BatchBytes : IEquatable<BatchBytes>
{
    private readonly BatchBuffer? _buffer;

    /// <summary>Wraps <paramref name="memory"/> (not copied, never pooled).</summary>
    public BatchBytes(ReadOnlyMemory<byte> memory) => Memory = memory;

    internal BatchBytes(BatchBuffer buffer, int length)
    {
        _buffer = buffer;
        Memory = new ReadOnlyMemory<byte>(buffer.Array, 0, length);
    }

    /// <summary>The bytes.</summary>
    public ReadOnlyMemory<byte> Memory { get; }

    /// <summary>Number of bytes.</summary>
    public int Length => Memory.Length;

    /// <summary>The bytes as a span.</summary>
    public ReadOnlySpan<byte> Span => Memory.Span;

    /// <summary>True when the bytes were read from the wire into a pooled buffer that <see cref="Release"/> returns.</summary>
    internal bool IsPooled => _buffer is not null;

    /// <summary>Wraps <paramref name="memory"/> (not copied).</summary>
    public static implicit operator BatchBytes(ReadOnlyMemory<byte> memory) => new(memory);

    /// <summary>Wraps <paramref name="bytes"/> (not copied).</summary>
    public static implicit operator BatchBytes(byte[] bytes) => new(bytes);

    /// <summary>The wrapped memory.</summary>
    public static implicit operator ReadOnlyMemory<byte>(BatchBytes bytes) => bytes.Memory;

    /// <summary>Same memory (same array and range), as <see cref="ReadOnlyMemory{T}.Equals(ReadOnlyMemory{T})"/>.</summary>
    public static bool operator ==(BatchBytes left, BatchBytes right) => left.Equals(right);

    /// <summary>Not the same memory.</summary>
    public static bool operator !=(BatchBytes left, BatchBytes right) => !left.Equals(right);

    /// <summary>Wraps <paramref name="memory"/> (the named alternative to the implicit conversion).</summary>
    public static BatchBytes FromReadOnlyMemory(ReadOnlyMemory<byte> memory) => new(memory);

    /// <summary>The wrapped memory (the named alternative to the implicit conversion).</summary>
    public ReadOnlyMemory<byte> ToReadOnlyMemory() => Memory;

    /// <summary>
    /// Hands a pooled buffer back (no-op otherwise, and after the first call on any copy). The caller must be the last
    /// reader: the bytes may belong to another batch right after.
    /// </summary>
    internal void Release() => _buffer?.Return();

    /// <inheritdoc/>
    public bool Equals(BatchBytes other) => Memory.Equals(other.Memory);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BatchBytes other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Memory.GetHashCode();
}

/// <summary>A rented array that goes back to its pool at most once, whichever copy of the batch releases it.</summary>
internal sealed class BatchBuffer(byte[] array)
{
    private byte[]? _array = array;

    public byte[] Array { get; } = array;

    public void Return()
    {
        if (Interlocked.Exchange(ref _array, null) is { } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}

/// <summary>Serializes <see cref="BatchBytes"/> as length-prefixed bytes, read into a pooled buffer up to <see cref="MaxPooledLength"/>.</summary>
[RegisterSerializer]
internal sealed class BatchBytesCodec : IFieldCodec<BatchBytes>
{
    /// <summary>
    /// Larger batches get their own array: the shared pool keeps up to 32 arrays per size class and core, and a producer
    /// batch is at most 1 MiB unless <c>ProducerOptions.MaxBatchBytes</c> was raised.
    /// </summary>
    internal const int MaxPooledLength = 1 << 20;

    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, [System.Diagnostics.CodeAnalysis.AllowNull] Type expectedType, BatchBytes value)
        where TBufferWriter : IBufferWriter<byte>
    {
        LengthPrefixedBytes.Write(ref writer, fieldIdDelta, expectedType, typeof(BatchBytes), value.Span);
    }

    public BatchBytes ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        var length = LengthPrefixedBytes.ReadLength(ref reader, field);
        if (length == 0)
        {
            return default;
        }

        if (length > MaxPooledLength)
        {
            return new BatchBytes(LengthPrefixedBytes.ReadUninitialized(ref reader, length));
        }

        var buffer = new BatchBuffer(ArrayPool<byte>.Shared.Rent(length));
        try
        {
            reader.ReadBytes(buffer.Array.AsSpan(0, length));
        }
        catch
        {
            buffer.Return();
            throw;
        }

        return new BatchBytes(buffer, length);
    }
}

/// <summary>Copies <see cref="BatchBytes"/> into a new array (never pooled), as Orleans copies a <see cref="ReadOnlyMemory{T}"/>.</summary>
[RegisterCopier]
internal sealed class BatchBytesCopier : IDeepCopier<BatchBytes>
{
    public BatchBytes DeepCopy(BatchBytes input, CopyContext context) => input.Length == 0 ? default : new BatchBytes(input.Memory.ToArray());
}
