using System.Text;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary>A chain <c>a OR b OR …</c>: true as soon as one operand is true, else unknown if one is unknown.</summary>
internal sealed class OrNode(SqlNode[] operands) : SqlNode
{
    public SqlNode[] Operands => operands;

    public override Truth Evaluate(ReadOnlySpan<byte> properties)
    {
        var result = Truth.False;
        foreach (var operand in operands)
        {
            var value = operand.Evaluate(properties);
            if (value == Truth.True)
            {
                return Truth.True;
            }

            if (value == Truth.Unknown)
            {
                result = Truth.Unknown;
            }
        }

        return result;
    }

    public override void Format(StringBuilder output)
    {
        output.Append('(');
        for (var i = 0; i < operands.Length; i++)
        {
            if (i > 0)
            {
                output.Append(" OR ");
            }

            operands[i].Format(output);
        }

        output.Append(')');
    }

    // True if some operand is true: the tag must be in one of their sets, and nothing is known if one has no set.
    public override IReadOnlySet<string>? RequiredTags()
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var operand in operands)
        {
            if (operand.RequiredTags() is not { } tags)
            {
                return null;
            }

            result.UnionWith(tags);
        }

        return result;
    }
}
