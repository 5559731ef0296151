using System.Text;

namespace OrleansMq.Storage.Codec;

/// <summary>The 64-bit tag hash stored in consume queue entries (0 means "no tag").</summary>
/// <remarks>
/// FNV-1a 64 over the UTF-8 bytes (persisted: never change). A non-empty tag whose hash happens to be 0 is
/// stored as 1 so that 0 keeps meaning "no tag". Filters compare hashes first and re-check the tag exactly.
/// </remarks>
public static class TagHash
{
    private const ulong OffsetBasis = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    /// <summary>Hash of a UTF-8 tag; 0 for an empty tag.</summary>
    public static long Compute(ReadOnlySpan<byte> utf8Tag)
    {
        if (utf8Tag.IsEmpty)
        {
            return 0;
        }

        var hash = OffsetBasis;
        foreach (var b in utf8Tag)
        {
            hash = (hash ^ b) * Prime;
        }

        return hash == 0 ? 1 : (long)hash;
    }

    /// <summary>Hash of a tag string; 0 for null or empty.</summary>
    public static long Compute(string? tag)
    {
        if (string.IsNullOrEmpty(tag))
        {
            return 0;
        }

        var count = Encoding.UTF8.GetByteCount(tag);
        if (count <= 256)
        {
            Span<byte> buffer = stackalloc byte[256];
            var written = Encoding.UTF8.GetBytes(tag, buffer);
            return Compute(buffer[..written]);
        }

        return Compute(Encoding.UTF8.GetBytes(tag));
    }
}
