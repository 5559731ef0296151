using System.Text;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary>TRUE, FALSE, or a comparison of literals folded at parse time.</summary>
internal sealed class ConstantNode : SqlNode
{
    public static readonly ConstantNode True = new(Truth.True);
    public static readonly ConstantNode False = new(Truth.False);

    private static readonly IReadOnlySet<string> NoTags = new HashSet<string>(StringComparer.Ordinal);

    private ConstantNode(Truth value) => Value = value;

    public Truth Value { get; }

    public static ConstantNode Of(bool value) => value ? True : False;

    public override Truth Evaluate(ReadOnlySpan<byte> properties) => Value;

    public override void Format(StringBuilder output) => output.Append(Value == Truth.True ? "TRUE" : "FALSE");

    // FALSE matches no message, whatever its tag.
    public override IReadOnlySet<string>? RequiredTags() => Value == Truth.False ? NoTags : null;
}
