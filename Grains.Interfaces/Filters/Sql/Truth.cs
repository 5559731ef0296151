namespace OrleansMq.Grains.Filters.Sql;

/// <summary>
/// SQL's three-valued logic: a comparison with a missing property (or a value of the wrong type) is
/// <see cref="Unknown"/>, <c>NOT Unknown</c> is still <see cref="Unknown"/>, and a message matches only when the whole
/// expression is <see cref="True"/>.
/// </summary>
internal enum Truth : byte
{
    False = 0,
    True = 1,
    Unknown = 2,
}

/// <summary>Operations on <see cref="Truth"/>.</summary>
internal static class TruthExtensions
{
    public static Truth ToTruth(this bool value) => value ? Truth.True : Truth.False;

    /// <summary>SQL NOT: swaps true and false, keeps unknown.</summary>
    public static Truth Not(this Truth value) => value == Truth.Unknown ? Truth.Unknown : (Truth)(1 - (int)value);

    /// <summary>SQL AND of two values (false wins over unknown).</summary>
    public static Truth And(this Truth left, Truth right) =>
        left == Truth.False || right == Truth.False ? Truth.False
        : left == Truth.Unknown || right == Truth.Unknown ? Truth.Unknown
        : Truth.True;
}
