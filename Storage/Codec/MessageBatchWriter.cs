using System.Buffers;

namespace OrleansMq.Storage.Codec;

/// <summary>
/// Encodes messages into the batch format that producers send and <see cref="MessageStore.AppendAsync"/> accepts.
/// </summary>
/// <remarks>
/// A batch is a sequence of entries, each self-delimiting (layout in <c>docs/storage-format.md</c>).
/// The writer only appends to the caller's <see cref="IBufferWriter{T}"/>; it keeps no reference to it.
/// Not thread-safe: one writer per batch being built.
/// </remarks>
public static class MessageBatchWriter
{
    /// <summary>Appends one message entry to <paramref name="output"/> and returns the number of bytes written.</summary>
    /// <param name="output">Destination; the caller owns it.</param>
    /// <param name="bornTimestamp">Producer-side creation time, Unix milliseconds.</param>
    /// <param name="flags">Message flags (<see cref="MessageFlags"/>).</param>
    /// <param name="properties">Properties encoded by <see cref="MessageProperties"/>.</param>
    /// <param name="body">Message body.</param>
    public static int Write(IBufferWriter<byte> output, long bornTimestamp, MessageFlags flags, ReadOnlySpan<byte> properties, ReadOnlySpan<byte> body)
        => throw new NotImplementedException();
}
