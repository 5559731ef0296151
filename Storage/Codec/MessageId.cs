namespace OrleansMq.Storage.Codec;

/// <summary>
/// The broker-assigned message id: the id of the store that holds the message and the message's log offset,
/// printed as 32 upper-case hex digits (16 for the store id, 16 for the log offset).
/// </summary>
public readonly record struct MessageId(long StoreId, long LogOffset)
{
    /// <summary>Length of the printed form.</summary>
    public const int Length = 32;

    /// <summary>Parses the printed form.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out MessageId id) => throw new NotImplementedException();

    /// <inheritdoc />
    public override string ToString() => throw new NotImplementedException();
}
