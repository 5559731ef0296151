using System.Globalization;
using System.Text;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary>
/// <c>a [NOT] IN (1, 2.5)</c>: numeric membership (binary search over the integers and the reals of the list);
/// unknown when the property is missing or not a number.
/// </summary>
internal sealed class NumberInNode : SqlNode
{
    private readonly SqlOperand _property;
    private readonly long[] _integers;
    private readonly double[] _reals;
    private readonly bool _negated;

    public NumberInNode(SqlOperand property, IReadOnlyList<SqlNumber> values, bool negated)
    {
        _property = property;
        _negated = negated;
        var integers = new List<long>();
        var reals = new List<double>();
        foreach (var value in values)
        {
            if (value.IsInteger)
            {
                integers.Add(value.Integer);
            }
            else
            {
                reals.Add(value.Real);
            }
        }

        _integers = [.. integers.Distinct().Order()];
        _reals = [.. reals.Distinct().Order()];
    }

    public override Truth Evaluate(ReadOnlySpan<byte> properties)
    {
        if (!_property.TryGetNumber(properties, out var value))
        {
            return Truth.Unknown;
        }

        return (Contains(value) != _negated).ToTruth();
    }

    public override void Format(StringBuilder output)
    {
        output.Append('(');
        _property.Format(output);
        output.Append(_negated ? " NOT IN (" : " IN (");
        var first = true;
        foreach (var value in _integers)
        {
            output.Append(first ? "" : ", ").Append(value.ToString(CultureInfo.InvariantCulture));
            first = false;
        }

        foreach (var value in _reals)
        {
            output.Append(first ? "" : ", ").Append(value.ToString("R", CultureInfo.InvariantCulture));
            first = false;
        }

        output.Append("))");
    }

    // An integer equals an integer item exactly, or a real item as a double; a real equals a real item, or an integer
    // item when it is integral (2.0 IN (2)).
    private bool Contains(SqlNumber value)
    {
        if (value.IsInteger)
        {
            return Array.BinarySearch(_integers, value.Integer) >= 0 || Array.BinarySearch(_reals, value.Real) >= 0;
        }

        if (Array.BinarySearch(_reals, value.Real) >= 0)
        {
            return true;
        }

        var real = value.Real;
        return real >= long.MinValue && real < 9.2233720368547758E18 && Math.Floor(real) == real
            && Array.BinarySearch(_integers, (long)real) >= 0;
    }
}
