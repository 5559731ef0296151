using System.Buffers.Binary;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.Codec;

/// <summary>One message entry of an encoded batch. Spans point into the batch buffer.</summary>
public readonly ref struct BatchEntry
{
    /// <summary>Producer-side creation time, Unix milliseconds.</summary>
    public long BornTimestamp { get; init; }

    /// <summary>Message flags.</summary>
    public MessageFlags Flags { get; init; }

    /// <summary>Encoded properties (<see cref="MessageProperties"/>).</summary>
    public ReadOnlySpan<byte> Properties { get; init; }

    /// <summary>Message body.</summary>
    public ReadOnlySpan<byte> Body { get; init; }
}

/// <summary>Reads the entries of a batch written by <see cref="MessageBatchWriter"/> without copying.</summary>
/// <remarks>Layout: <see cref="MessageBatchWriter"/>. Checks framing only; property contents are validated by the store.</remarks>
public ref struct MessageBatchReader
{
    private readonly ReadOnlySpan<byte> _batch;
    private int _position;
    private int _index;

    /// <summary>Creates a reader over an encoded batch.</summary>
    public MessageBatchReader(ReadOnlySpan<byte> batch)
    {
        _batch = batch;
        _position = 0;
        _index = 0;
    }

    /// <summary>Reads the next entry; returns false at the end of the batch.</summary>
    /// <exception cref="FormatException">The batch is malformed (message names the entry index and byte position).</exception>
    public bool TryRead(out BatchEntry entry)
    {
        entry = default;
        var remaining = _batch.Length - _position;
        if (remaining == 0)
        {
            return false;
        }

        if (remaining < MessageBatchWriter.EntryHeaderSize)
        {
            Fail($"{remaining} trailing bytes are shorter than an entry header ({MessageBatchWriter.EntryHeaderSize})");
        }

        var span = _batch[_position..];
        var size = BinaryPrimitives.ReadInt32LittleEndian(span);
        var propertiesLength = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(span[20..]);
        if (propertiesLength < 0 || bodyLength < 0 || (long)MessageBatchWriter.EntryHeaderSize + propertiesLength + bodyLength != size)
        {
            Fail($"entry size {size} does not match properties length {propertiesLength} + body length {bodyLength} + {MessageBatchWriter.EntryHeaderSize}");
        }

        if (size > remaining)
        {
            Fail($"entry size {size} runs past the end of the batch ({remaining} bytes left)");
        }

        entry = new BatchEntry
        {
            BornTimestamp = BinaryPrimitives.ReadInt64LittleEndian(span[4..]),
            Flags = (MessageFlags)BinaryPrimitives.ReadInt32LittleEndian(span[12..]),
            Properties = span.Slice(MessageBatchWriter.EntryHeaderSize, propertiesLength),
            Body = span.Slice(MessageBatchWriter.EntryHeaderSize + propertiesLength, bodyLength),
        };
        _position += size;
        _index++;
        return true;
    }

    private readonly void Fail(string what)
        => ThrowHelper.ThrowFormat($"Malformed message batch: entry {_index} at byte {_position}: {what}.");
}
