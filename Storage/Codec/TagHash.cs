namespace OrleansMq.Storage.Codec;

/// <summary>The 64-bit tag hash stored in consume queue entries (0 means "no tag").</summary>
public static class TagHash
{
    /// <summary>Hash of a UTF-8 tag; 0 for an empty tag.</summary>
    public static long Compute(ReadOnlySpan<byte> utf8Tag) => throw new NotImplementedException();

    /// <summary>Hash of a tag string; 0 for null or empty.</summary>
    public static long Compute(string? tag) => throw new NotImplementedException();
}
