using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Filters.Sql;
using OrleansMq.Storage;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Filters;

/// <summary>
/// A RocketMQ-style SQL92 filter over message properties, e.g. <c>region = 'eu' AND price BETWEEN 10 AND 20</c>.
/// Parsed and type-checked once into an immutable tree; each record's properties are then evaluated in place.
/// </summary>
/// <remarks>
/// <para>
/// Semantics (full grammar in <c>docs/filters.md</c>): SQL three-valued logic, where a comparison with a missing
/// property is unknown and a message matches only when the whole expression is true (so neither <c>a = 1</c> nor
/// <c>NOT a = 1</c> matches a message without <c>a</c>). Property values are strings; they are compared as numbers
/// against numbers (a value that is not a decimal number makes the comparison unknown), as exact UTF-8 bytes against
/// strings, and as <c>true</c>/<c>false</c> (any case) against booleans. <c>&lt;</c>, <c>&gt;</c>, <c>&lt;=</c>,
/// <c>&gt;=</c> and BETWEEN compare numbers only; a string or boolean operand is refused at parse time. The message tag
/// is the property <c>TAGS</c>.
/// </para>
/// <para>
/// Thread-safety and buffers: immutable and thread-safe. <see cref="Matches"/> allocates nothing and keeps no reference
/// to the record; property names are UTF-8 encoded at parse time and values are read as spans of the record.
/// </para>
/// </remarks>
public sealed class SqlFilter : IMessageFilter
{
    /// <summary>Deepest nesting of parentheses and NOT; bounds the parser's and the evaluator's recursion.</summary>
    public const int MaxNestingDepth = 64;

    /// <summary>Most items in one IN list.</summary>
    public const int MaxInListItems = 1024;

    private readonly SqlNode _root;

    // Sorted hashes of the tags a matching message must have, or null when the expression does not constrain TAGS.
    private readonly long[]? _tagHashes;

    private SqlFilter(string expression, SqlNode root)
    {
        Expression = expression;
        _root = root;
        if (root.RequiredTags() is { } tags)
        {
            var hashes = new long[tags.Count];
            var i = 0;
            foreach (var tag in tags)
            {
                hashes[i++] = TagHash.Compute(tag);
            }

            Array.Sort(hashes);
            _tagHashes = hashes;
        }
    }

    /// <summary>The expression as written.</summary>
    public string Expression { get; }

    /// <summary>Parses and type-checks an expression; null when it is always true (<c>TRUE</c>), which matches everything.</summary>
    /// <param name="expression">At most <see cref="FilterCompiler.MaxExpressionLength"/> characters.</param>
    /// <exception cref="InvalidRequestException">
    /// The expression is empty, too long, too deeply nested, has too many IN items, is malformed or compares values of
    /// incompatible types: the message quotes it and says what is wrong, at which character position (from 0) and what
    /// is allowed there.
    /// </exception>
    public static SqlFilter? Parse(string? expression)
    {
        var root = SqlParser.Parse(expression);
        return root is ConstantNode { Value: Truth.True } ? null : new SqlFilter(expression!, root);
    }

    /// <summary>
    /// False when the tag hash proves no match: the expression can only be true for messages whose <c>TAGS</c> is one of
    /// a known set (<c>TAGS = 'A' AND …</c>, <c>TAGS IN ('A', 'B') OR …</c>), or it is always false. True otherwise.
    /// </summary>
    public bool MayMatch(long tagHash) => _tagHashes is null || Array.BinarySearch(_tagHashes, tagHash) >= 0;

    /// <inheritdoc />
    public bool Matches(StoredRecord record) => _root.Evaluate(record.Properties) == Truth.True;

    /// <summary>The parsed expression in canonical form: fully parenthesized, keywords upper case, <c>!=</c> as <c>&lt;&gt;</c>.</summary>
    public override string ToString() => _root.ToString();
}
