using System.Text;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary>A chain <c>a AND b AND …</c>: false as soon as one operand is false, else unknown if one is unknown.</summary>
internal sealed class AndNode(SqlNode[] operands) : SqlNode
{
    public SqlNode[] Operands => operands;

    public override Truth Evaluate(ReadOnlySpan<byte> properties)
    {
        var result = Truth.True;
        foreach (var operand in operands)
        {
            var value = operand.Evaluate(properties);
            if (value == Truth.False)
            {
                return Truth.False;
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
                output.Append(" AND ");
            }

            operands[i].Format(output);
        }

        output.Append(')');
    }

    // True only if every operand is true: the message's tag must be in every operand's set.
    public override IReadOnlySet<string>? RequiredTags()
    {
        HashSet<string>? result = null;
        foreach (var operand in operands)
        {
            if (operand.RequiredTags() is not { } tags)
            {
                continue;
            }

            if (result is null)
            {
                result = new HashSet<string>(tags, StringComparer.Ordinal);
            }
            else
            {
                result.IntersectWith(tags);
            }
        }

        return result;
    }
}
