using System.Text;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary><c>NOT x</c>: true and false swap, unknown stays unknown.</summary>
internal sealed class NotNode(SqlNode operand) : SqlNode
{
    public override Truth Evaluate(ReadOnlySpan<byte> properties) => operand.Evaluate(properties).Not();

    public override void Format(StringBuilder output)
    {
        output.Append("(NOT ");
        operand.Format(output);
        output.Append(')');
    }
}
