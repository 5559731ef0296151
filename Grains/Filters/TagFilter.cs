using System.Text;
using OrleansMq.Grains.Errors;
using OrleansMq.Storage;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Filters;

/// <summary>
/// A RocketMQ tag expression (<c>TagA || TagB</c>): the consume queue's tag hash rules out most messages without
/// reading them, then the tag is compared exactly (hashes can collide).
/// </summary>
/// <remarks>Immutable and thread-safe; no allocation per message.</remarks>
internal sealed class TagFilter : IMessageFilter
{
    private readonly byte[][] _tags;
    private readonly long[] _hashes;

    private TagFilter(byte[][] tags, long[] hashes)
    {
        _tags = tags;
        _hashes = hashes;
    }

    /// <summary>Parses a tag expression; null for "match everything".</summary>
    /// <exception cref="InvalidRequestException">An empty tag between separators (the message gives its position).</exception>
    public static TagFilter? Parse(string? expression)
    {
        if (string.IsNullOrWhiteSpace(expression) || expression.Trim() == "*")
        {
            return null;
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

    public bool MayMatch(long tagHash) => Array.IndexOf(_hashes, tagHash) >= 0;

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
}
