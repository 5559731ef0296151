using System.Text;
using OrleansMq.Grains.Errors;
using OrleansMq.Storage;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Filters;

/// <summary>
/// A RocketMQ tag expression (<c>TagA || TagB</c>): the consume queue's tag hash rules out most messages without
/// reading them, then the tag is compared exactly (hashes can collide).
/// </summary>
/// <remarks>
/// Immutable and thread-safe; evaluation allocates nothing and keeps no reference to the record's buffers.
/// Tags are compared as exact, case-sensitive UTF-8 bytes. Grammar and examples: <c>docs/filters.md</c>.
/// </remarks>
public sealed class TagFilter : IMessageFilter
{
    private readonly byte[][] _tags;
    private readonly long[] _hashes;

    private TagFilter(byte[][] tags, long[] hashes)
    {
        _tags = tags;
        _hashes = hashes;
    }

    /// <summary>Parses a tag expression; null for "match everything" (null, blank or <c>*</c>).</summary>
    /// <param name="expression">
    /// <c>*</c>, or tags separated by <c>||</c>; whitespace around a tag is ignored. At most
    /// <see cref="FilterCompiler.MaxExpressionLength"/> characters.
    /// </param>
    /// <exception cref="InvalidRequestException">
    /// An empty tag between separators, <c>*</c> combined with tags, or an over-long expression (the message gives the
    /// position and what is allowed).
    /// </exception>
    public static TagFilter? Parse(string? expression)
    {
        if (string.IsNullOrWhiteSpace(expression) || expression.Trim() == "*")
        {
            return null;
        }

        if (expression.Length > FilterCompiler.MaxExpressionLength)
        {
            throw new InvalidRequestException(
                $"Tag expression '{expression[..32]}…' is {expression.Length} characters long; at most {FilterCompiler.MaxExpressionLength} are allowed.");
        }

        var tags = new List<byte[]>();
        var start = 0;
        while (true)
        {
            var end = expression.IndexOf("||", start, StringComparison.Ordinal);
            var part = (end < 0 ? expression[start..] : expression[start..end]).Trim();
            if (part.Length == 0 || part == "*")
            {
                throw new InvalidRequestException(
                    $"Tag expression '{expression}' has {(part.Length == 0 ? "an empty tag" : "'*' combined with tags")} at position {start}; "
                    + "write '*' alone or tags separated by '||', e.g. 'TagA || TagB'.");
            }

            tags.Add(Encoding.UTF8.GetBytes(part));
            if (end < 0)
            {
                break;
            }

            start = end + 2;
        }

        var hashes = new long[tags.Count];
        for (var i = 0; i < hashes.Length; i++)
        {
            hashes[i] = TagHash.Compute(tags[i]);
        }

        return new TagFilter([.. tags], hashes);
    }

    /// <inheritdoc />
    public bool MayMatch(long tagHash) => Array.IndexOf(_hashes, tagHash) >= 0;

    /// <inheritdoc />
    public bool Matches(StoredRecord record)
    {
        if (!MessageProperties.TryGetValue(record.Properties, "TAGS"u8, out var tag))
        {
            return false;
        }

        foreach (var candidate in _tags)
        {
            if (tag.SequenceEqual(candidate))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The tags, separated by <c> || </c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var tag in _tags)
        {
            if (text.Length > 0)
            {
                text.Append(" || ");
            }

            text.Append(Encoding.UTF8.GetString(tag));
        }

        return text.ToString();
    }
}
