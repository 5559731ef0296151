using System.Text;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary><c>a [NOT] IN ('x', 'y')</c>: exact UTF-8 membership; unknown when the property is missing.</summary>
internal sealed class TextInNode(SqlOperand property, Utf8Set set, bool negated) : SqlNode
{
    public override Truth Evaluate(ReadOnlySpan<byte> properties)
    {
        if (!property.TryGetText(properties, out var value))
        {
            return Truth.Unknown;
        }

        return (set.Contains(value) != negated).ToTruth();
    }

    public override void Format(StringBuilder output)
    {
        output.Append('(');
        property.Format(output);
        output.Append(negated ? " NOT IN (" : " IN (");
        var first = true;
        foreach (var value in set.Values.Order(StringComparer.Ordinal))
        {
            output.Append(first ? "'" : ", '").Append(value.Replace("'", "''", StringComparison.Ordinal)).Append('\'');
            first = false;
        }

        output.Append("))");
    }

    public override IReadOnlySet<string>? RequiredTags() => !negated && TextEqualityNode.IsTags(property) ? set.Values : null;
}
