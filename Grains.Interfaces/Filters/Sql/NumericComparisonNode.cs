using System.Text;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary>
/// <c>a &gt; 5</c>, <c>a = 1.5</c>, <c>a &lt; b</c>: both sides as numbers; unknown when a property is missing or its
/// value is not a decimal number.
/// </summary>
internal sealed class NumericComparisonNode(SqlOperand left, SqlComparison comparison, SqlOperand right) : SqlNode
{
    public override Truth Evaluate(ReadOnlySpan<byte> properties)
    {
        if (!left.TryGetNumber(properties, out var l) || !right.TryGetNumber(properties, out var r))
        {
            return Truth.Unknown;
        }

        return comparison.Holds(SqlNumber.Compare(l, r)).ToTruth();
    }

    public override void Format(StringBuilder output)
    {
        output.Append('(');
        left.Format(output);
        output.Append(' ').Append(comparison.Symbol()).Append(' ');
        right.Format(output);
        output.Append(')');
    }
}
