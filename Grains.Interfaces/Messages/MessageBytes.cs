using System.Buffers;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace OrleansMq.Grains.Messages;

/// <summary>
/// Encoded message bytes carried by a grain call: a producer's batch (<see cref="AppendRequest.Batch"/>) or a pull's
/// records (<see cref="PullResponse.Records"/>). Converts implicitly to and from <see cref="ReadOnlyMemory{T}"/>.
/// </summary>
/// <remarks>
/// Why not a plain <see cref="ReadOnlyMemory{T}"/> field: Orleans reads one into a zeroed array, and every byte of it is
/// overwritten right away. A 64 KiB batch or a 300 KiB pull response zeroed for nothing cost the broker ~4% of its CPU in
/// W1 (the GC's memset under the append call's deserialization). <see cref="MessageBytesCodec"/> reads into an
/// uninitialized array instead; the wire format is the same length-prefixed bytes.
/// </remarks>
public readonly struct MessageBytes : IEquatable<MessageBytes>
{
    /// <summary>Wraps <paramref name="memory"/> (not copied).</summary>
    public MessageBytes(ReadOnlyMemory<byte> memory) => Memory = memory;

    /// <summary>The bytes.</summary>
    public ReadOnlyMemory<byte> Memory { get; }

    /// <summary>Number of bytes.</summary>
    public int Length => Memory.Length;

    /// <summary>The bytes as a span.</summary>
    public ReadOnlySpan<byte> Span => Memory.Span;

    /// <summary>Wraps <paramref name="memory"/> (not copied).</summary>
    public static implicit operator MessageBytes(ReadOnlyMemory<byte> memory) => new(memory);

    /// <summary>Wraps <paramref name="bytes"/> (not copied).</summary>
    public static implicit operator MessageBytes(byte[] bytes) => new(bytes);

    /// <summary>The wrapped memory.</summary>
    public static implicit operator ReadOnlyMemory<byte>(MessageBytes bytes) => bytes.Memory;

    /// <summary>Same memory (same array and range), as <see cref="ReadOnlyMemory{T}.Equals(ReadOnlyMemory{T})"/>.</summary>
    public static bool operator ==(MessageBytes left, MessageBytes right) => left.Equals(right);

    /// <summary>Not the same memory.</summary>
    public static bool operator !=(MessageBytes left, MessageBytes right) => !left.Equals(right);

    /// <summary>Wraps <paramref name="memory"/> (the named alternative to the implicit conversion).</summary>
    public static MessageBytes FromReadOnlyMemory(ReadOnlyMemory<byte> memory) => new(memory);

    /// <summary>The wrapped memory (the named alternative to the implicit conversion).</summary>
    public ReadOnlyMemory<byte> ToReadOnlyMemory() => Memory;

    /// <inheritdoc/>
    public bool Equals(MessageBytes other) => Memory.Equals(other.Memory);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is MessageBytes other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Memory.GetHashCode();
}

/// <summary>Serializes <see cref="MessageBytes"/> as length-prefixed bytes, read into an uninitialized array.</summary>
[RegisterSerializer]
internal sealed class MessageBytesCodec : IFieldCodec<MessageBytes>
{
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, [System.Diagnostics.CodeAnalysis.AllowNull] Type expectedType, MessageBytes value)
        where TBufferWriter : IBufferWriter<byte>
    {
        LengthPrefixedBytes.Write(ref writer, fieldIdDelta, expectedType, typeof(MessageBytes), value.Span);
    }

    public MessageBytes ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        var length = LengthPrefixedBytes.ReadLength(ref reader, field);
        return length == 0 ? default : new MessageBytes(LengthPrefixedBytes.ReadUninitialized(ref reader, length));
    }
}

/// <summary>The wire format shared by <see cref="MessageBytesCodec"/> and <see cref="BatchBytesCodec"/>: a length, then the bytes.</summary>
internal static class LengthPrefixedBytes
{
    public static void Write<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, Type actualType, ReadOnlySpan<byte> value)
        where TBufferWriter : IBufferWriter<byte>
    {
        ReferenceCodec.MarkValueField(writer.Session);
        writer.WriteFieldHeader(fieldIdDelta, expectedType, actualType, WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)value.Length);
        writer.Write(value);
    }

    /// <summary>Reads the field's length; the bytes follow.</summary>
    public static int ReadLength<TInput>(ref Reader<TInput> reader, Field field)
    {
        ReferenceCodec.MarkValueField(reader.Session);
        field.EnsureWireType(WireType.LengthPrefixed);
        var length = reader.ReadVarUInt32();
        if (length > Array.MaxLength)
        {
            throw new InvalidDataException($"Message bytes of {length} bytes announced; at most {Array.MaxLength} are allowed.");
        }

        return (int)length;
    }

    /// <summary>Reads <paramref name="length"/> bytes into a new array without zeroing it first.</summary>
    public static byte[] ReadUninitialized<TInput>(ref Reader<TInput> reader, int length)
    {
        // Every byte is overwritten by ReadBytes (it throws if the input is shorter), so zeroing would be wasted.
        var bytes = GC.AllocateUninitializedArray<byte>(length);
        reader.ReadBytes(bytes);
        return bytes;
    }
}

/// <summary>Copies <see cref="MessageBytes"/> into a new array, as Orleans copies a <see cref="ReadOnlyMemory{T}"/>.</summary>
[RegisterCopier]
internal sealed class MessageBytesCopier : IDeepCopier<MessageBytes>
{
    public MessageBytes DeepCopy(MessageBytes input, CopyContext context) => input.Length == 0 ? default : new MessageBytes(input.Memory.ToArray());
}
