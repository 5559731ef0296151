namespace OrleansMq.Storage;

/// <summary>Outcome of a read from a queue.</summary>
public enum ReadStatus
{
    /// <summary>Not set.</summary>
    Invalid = 0,

    /// <summary>At least one message returned.</summary>
    Found = 1,

    /// <summary>The offset is the queue's max offset: nothing new yet.</summary>
    NoNewMessage = 2,

    /// <summary>Messages were scanned but none matched the filter; <c>NextQueueOffset</c> moved past them.</summary>
    NoMatchedMessage = 3,

    /// <summary>The offset is below the queue's min offset (deleted by retention).</summary>
    OffsetTooSmall = 4,

    /// <summary>The offset is beyond the queue's max offset.</summary>
    OffsetTooBig = 5,
}

/// <summary>Valid offsets of a queue: <c>[Min, Max)</c>; <c>Max</c> is the offset the next message will get.</summary>
/// <param name="Min">Smallest readable offset.</param>
/// <param name="Max">One past the largest readable offset.</param>
public readonly record struct QueueRange(long Min, long Max);

/// <summary>The result of <see cref="MessageStore.Read"/>.</summary>
/// <remarks>
/// <see cref="Records"/> holds whole commit log records back to back (parse with
/// <see cref="Codec.StoredRecord.TryParse"/>). The array is newly allocated and owned by the caller, so it can be
/// handed to the network without another copy.
/// </remarks>
public sealed record ReadResult(ReadStatus Status, ReadOnlyMemory<byte> Records, int Count, long NextQueueOffset, QueueRange Range);
