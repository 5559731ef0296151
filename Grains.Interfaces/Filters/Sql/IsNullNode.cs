using System.Text;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary><c>a IS [NOT] NULL</c>: whether the property is absent; never unknown. An empty value is not NULL.</summary>
internal sealed class IsNullNode(SqlOperand property, bool negated) : SqlNode
{
    public override Truth Evaluate(ReadOnlySpan<byte> properties) => (property.IsPresent(properties) == negated).ToTruth();

    public override void Format(StringBuilder output)
    {
        output.Append('(');
        property.Format(output);
        output.Append(negated ? " IS NOT NULL)" : " IS NULL)");
    }
}
