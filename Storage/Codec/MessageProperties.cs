using System.Buffers;

namespace OrleansMq.Storage.Codec;

/// <summary>
/// The binary encoding of message properties (string name → string value, UTF-8), shared by the client,
/// the wire and the commit log so properties are encoded once by the producer and copied as bytes after that.
/// </summary>
public static class MessageProperties
{
    /// <summary>Encodes <paramref name="properties"/> into <paramref name="output"/>; returns bytes written.</summary>
    /// <exception cref="ArgumentException">A name is empty or a name/value is too long for the format.</exception>
    public static int Encode(IEnumerable<KeyValuePair<string, string>> properties, IBufferWriter<byte> output)
        => throw new NotImplementedException();

    /// <summary>Encodes to a new array (convenience for non-hot paths).</summary>
    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> properties)
        => throw new NotImplementedException();

    /// <summary>Decodes every property into a new dictionary.</summary>
    /// <exception cref="FormatException">The encoding is malformed.</exception>
    public static Dictionary<string, string> Decode(ReadOnlySpan<byte> encoded) => throw new NotImplementedException();

    /// <summary>Finds the UTF-8 value of <paramref name="name"/> (UTF-8) without allocating.</summary>
    public static bool TryGetValue(ReadOnlySpan<byte> encoded, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
        => throw new NotImplementedException();

    /// <summary>Finds and decodes the value of <paramref name="name"/>; null when absent.</summary>
    public static string? GetString(ReadOnlySpan<byte> encoded, string name) => throw new NotImplementedException();

    /// <summary>True when <paramref name="encoded"/> is well-formed.</summary>
    public static bool IsValid(ReadOnlySpan<byte> encoded) => throw new NotImplementedException();
}
