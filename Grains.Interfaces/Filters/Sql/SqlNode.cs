using System.Text;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary>A node of a parsed SQL92 filter: immutable, evaluated against a record's encoded properties.</summary>
/// <remarks>
/// Evaluation allocates nothing: property names are pre-encoded, values are read as spans of the caller's buffer and
/// never kept. Recursion depth is bounded by <see cref="SqlFilter.MaxNestingDepth"/> because AND and OR chains are
/// flattened into one node each.
/// </remarks>
internal abstract class SqlNode
{
    public abstract Truth Evaluate(ReadOnlySpan<byte> properties);

    /// <summary>Writes the node in canonical, fully parenthesized form.</summary>
    public abstract void Format(StringBuilder output);

    /// <summary>
    /// The tags a message must carry for this node to be true, or null when that cannot be said. Lets the filter rule
    /// out messages by the consume queue's tag hash without reading them (<c>TAGS = 'A' AND price &gt; 10</c>).
    /// </summary>
    public virtual IReadOnlySet<string>? RequiredTags() => null;

    public sealed override string ToString()
    {
        var output = new StringBuilder();
        Format(output);
        return output.ToString();
    }
}
