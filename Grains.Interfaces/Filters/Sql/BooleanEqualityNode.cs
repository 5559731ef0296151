using System.Text;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary>
/// <c>a = TRUE</c> or <c>a &lt;&gt; FALSE</c>: the property's value must be <c>true</c> or <c>false</c> (any case);
/// unknown when it is missing or anything else.
/// </summary>
internal sealed class BooleanEqualityNode(SqlOperand property, bool value, bool negated) : SqlNode
{
    public override Truth Evaluate(ReadOnlySpan<byte> properties)
    {
        var actual = property.GetBoolean(properties);
        return actual == Truth.Unknown ? Truth.Unknown : ((actual == Truth.True) == value != negated).ToTruth();
    }

    public override void Format(StringBuilder output)
    {
        output.Append('(');
        property.Format(output);
        output.Append(negated ? " <> " : " = ").Append(value ? "TRUE" : "FALSE").Append(')');
    }
}
