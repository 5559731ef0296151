using System.Text;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary>
/// <c>a = 'x'</c>, <c>a &lt;&gt; 'x'</c> or <c>a = b</c>: exact, case-sensitive comparison of UTF-8 bytes; unknown when
/// a property is missing.
/// </summary>
internal sealed class TextEqualityNode(SqlOperand left, SqlOperand right, bool negated) : SqlNode
{
    public override Truth Evaluate(ReadOnlySpan<byte> properties)
    {
        if (!left.TryGetText(properties, out var l) || !right.TryGetText(properties, out var r))
        {
            return Truth.Unknown;
        }

        return (l.SequenceEqual(r) != negated).ToTruth();
    }

    public override void Format(StringBuilder output)
    {
        output.Append('(');
        left.Format(output);
        output.Append(negated ? " <> " : " = ");
        right.Format(output);
        output.Append(')');
    }

    public override IReadOnlySet<string>? RequiredTags()
    {
        if (negated)
        {
            return null;
        }

        var tag = IsTags(left) && right.Kind == SqlOperandKind.String ? right
            : IsTags(right) && left.Kind == SqlOperandKind.String ? left
            : null;
        return tag is null ? null : new HashSet<string>(StringComparer.Ordinal) { tag.Text };
    }

    internal static bool IsTags(SqlOperand operand) =>
        operand.Kind == SqlOperandKind.Property && operand.Text == Storage.Codec.MessagePropertyNames.Tags;
}
