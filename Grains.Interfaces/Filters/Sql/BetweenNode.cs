using System.Text;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary>
/// <c>a [NOT] BETWEEN low AND high</c>, bounds included: exactly <c>[NOT] (a &gt;= low AND a &lt;= high)</c> with
/// three-valued logic, reading the property once.
/// </summary>
internal sealed class BetweenNode(SqlOperand value, SqlOperand low, SqlOperand high, bool negated) : SqlNode
{
    public override Truth Evaluate(ReadOnlySpan<byte> properties)
    {
        if (!value.TryGetNumber(properties, out var v))
        {
            return Truth.Unknown;
        }

        var aboveLow = low.TryGetNumber(properties, out var l) ? (SqlNumber.Compare(v, l) >= 0).ToTruth() : Truth.Unknown;
        var belowHigh = high.TryGetNumber(properties, out var h) ? (SqlNumber.Compare(v, h) <= 0).ToTruth() : Truth.Unknown;
        var result = aboveLow.And(belowHigh);
        return negated ? result.Not() : result;
    }

    public override void Format(StringBuilder output)
    {
        output.Append('(');
        value.Format(output);
        output.Append(negated ? " NOT BETWEEN " : " BETWEEN ");
        low.Format(output);
        output.Append(" AND ");
        high.Format(output);
        output.Append(')');
    }
}
