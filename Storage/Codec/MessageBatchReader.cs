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
public ref struct MessageBatchReader
{
    /// <summary>Creates a reader over an encoded batch.</summary>
    public MessageBatchReader(ReadOnlySpan<byte> batch) => throw new NotImplementedException();

    /// <summary>Reads the next entry; returns false at the end of the batch.</summary>
    /// <exception cref="FormatException">The batch is malformed (message names the entry index and byte position).</exception>
    public bool TryRead(out BatchEntry entry) => throw new NotImplementedException();
}
