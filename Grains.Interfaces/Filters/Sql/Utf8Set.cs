using System.Text;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary>
/// An immutable set of UTF-8 strings searched by span without allocating: a linear scan for a few items, else a
/// binary search on 64-bit hashes (IN lists hold up to <see cref="SqlFilter.MaxInListItems"/> items).
/// </summary>
internal sealed class Utf8Set
{
    // Below this many items comparing bytes directly beats hashing the value first (most IN lists are short).
    private const int LinearScanLimit = 8;

    private readonly byte[][] _items;
    private readonly long[] _hashes;

    public Utf8Set(IReadOnlyCollection<string> values)
    {
        var distinct = new HashSet<string>(values, StringComparer.Ordinal);
        Values = distinct;
        _items = new byte[distinct.Count][];
        _hashes = new long[distinct.Count];
        var i = 0;
        foreach (var value in distinct)
        {
            _items[i] = Encoding.UTF8.GetBytes(value);
            _hashes[i] = TagHash.Compute(_items[i]);
            i++;
        }

        Array.Sort(_hashes, _items);
    }

    public IReadOnlySet<string> Values { get; }

    public bool Contains(ReadOnlySpan<byte> value)
    {
        if (_items.Length <= LinearScanLimit)
        {
            foreach (var item in _items)
            {
                if (value.SequenceEqual(item))
                {
                    return true;
                }
            }

            return false;
        }

        var hash = TagHash.Compute(value);
        var at = Array.BinarySearch(_hashes, hash);
        if (at < 0)
        {
            return false;
        }

        // Equal hashes are adjacent: walk back to the first, then forward over all of them.
        while (at > 0 && _hashes[at - 1] == hash)
        {
            at--;
        }

        for (; at < _hashes.Length && _hashes[at] == hash; at++)
        {
            if (value.SequenceEqual(_items[at]))
            {
                return true;
            }
        }

        return false;
    }
}
