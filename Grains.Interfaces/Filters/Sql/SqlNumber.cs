using System.Globalization;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary>
/// A number in a filter: a 64-bit integer when the text is one (exact, so ids and timestamps compare exactly), else a
/// finite double. An integer and a double compare as doubles, as RocketMQ compares a Long with a Double.
/// </summary>
internal readonly struct SqlNumber
{
    // Plain decimal notation only: no whitespace, no thousands separators, no hex. NaN and infinities are refused
    // below because double.TryParse accepts their symbols whatever the styles.
    private const NumberStyles RealStyles = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    private SqlNumber(long integer, double real, bool isInteger)
    {
        Integer = integer;
        Real = real;
        IsInteger = isInteger;
    }

    /// <summary>True when the value is the 64-bit <see cref="Integer"/>; otherwise it is <see cref="Real"/>.</summary>
    public bool IsInteger { get; }

    public long Integer { get; }

    /// <summary>The value as a double (exact for reals, rounded for integers beyond 2^53).</summary>
    public double Real { get; }

    public static SqlNumber FromInteger(long value) => new(value, value, isInteger: true);

    public static SqlNumber FromReal(double value) => new(0, value, isInteger: false);

    /// <summary>Parses a property value (UTF-8) without allocating; false when it is not a finite decimal number.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out SqlNumber number)
    {
        if (long.TryParse(utf8, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            number = FromInteger(integer);
            return true;
        }

        if (double.TryParse(utf8, RealStyles, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
        {
            number = FromReal(real);
            return true;
        }

        number = default;
        return false;
    }

    /// <summary>Parses a literal of the expression (already checked to be digits, point, exponent and sign).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out SqlNumber number)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            number = FromInteger(integer);
            return true;
        }

        if (double.TryParse(text, RealStyles, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
        {
            number = FromReal(real);
            return true;
        }

        number = default;
        return false;
    }

    /// <summary>Negative, zero or positive as <paramref name="left"/> is less than, equal to or greater than <paramref name="right"/>.</summary>
    public static int Compare(in SqlNumber left, in SqlNumber right) =>
        left.IsInteger && right.IsInteger ? left.Integer.CompareTo(right.Integer) : left.Real.CompareTo(right.Real);

    public override string ToString() =>
        IsInteger ? Integer.ToString(CultureInfo.InvariantCulture) : Real.ToString("R", CultureInfo.InvariantCulture);
}
