using System.Globalization;

namespace OrleansMq.Storage.Codec;

/// <summary>
/// The broker-assigned message id: the id of the store that holds the message and the message's log offset,
/// printed as 32 upper-case hex digits (16 for the store id, 16 for the log offset).
/// </summary>
public readonly record struct MessageId(long StoreId, long LogOffset)
{
    /// <summary>Length of the printed form.</summary>
    public const int Length = 32;

    /// <summary>Parses the printed form (hex digits of either case).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out MessageId id)
    {
        id = default;
        if (text.Length != Length
            || !ulong.TryParse(text[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var store)
            || !ulong.TryParse(text[16..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var offset))
        {
            return false;
        }

        id = new MessageId((long)store, (long)offset);
        return true;
    }

    /// <inheritdoc />
    public override string ToString()
        => string.Create(Length, this, static (span, id) =>
        {
            ((ulong)id.StoreId).TryFormat(span, out _, "X16", CultureInfo.InvariantCulture);
            ((ulong)id.LogOffset).TryFormat(span[16..], out _, "X16", CultureInfo.InvariantCulture);
        });
}
