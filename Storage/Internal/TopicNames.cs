using System.Security.Cryptography;
using System.Text;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Storage.Internal;

/// <summary>Topic and queue id validation, and the mapping of topic names to directory names.</summary>
/// <remarks>
/// A topic is any non-empty string of at most 255 UTF-8 bytes. On disk, bytes outside <c>[A-Za-z0-9_%-]</c> are
/// written as <c>~XX</c> (hex) so every topic maps to a safe, reversible directory name. Names whose escaped form
/// would exceed 200 characters use <c>~~</c> + 32 hex digits of SHA-256 and keep the real name in <c>topic.name</c>.
/// </remarks>
internal static class TopicNames
{
    public const string NameFile = "topic.name";
    private const int MaxEscapedLength = 200;

    /// <summary>Throws <see cref="ArgumentException"/> for a topic the store cannot hold.</summary>
    public static void Validate(string topic, int queueId)
    {
        ValidateTopic(topic);
        if (queueId < 0)
        {
            ThrowHelper.ThrowArgument(nameof(queueId), $"Queue id must be >= 0; got {queueId}.");
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> for a topic the store cannot hold.</summary>
    public static void ValidateTopic(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (topic.Length == 0 || topic.Length > RecordLayout.MaxTopicLength || Encoding.UTF8.GetByteCount(topic) > RecordLayout.MaxTopicLength)
        {
            ThrowHelper.ThrowArgument(nameof(topic), $"Topic must be non-empty and at most {RecordLayout.MaxTopicLength} UTF-8 bytes; got {Encoding.UTF8.GetByteCount(topic)} bytes.");
        }
    }

    /// <summary>The directory name of a topic; <paramref name="needsNameFile"/> when the real name must be stored beside it.</summary>
    public static string ToDirectoryName(string topic, out bool needsNameFile)
    {
        var bytes = Encoding.UTF8.GetBytes(topic);
        var builder = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (IsSafe(b))
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('~').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        if (builder.Length <= MaxEscapedLength)
        {
            needsNameFile = false;
            return builder.ToString();
        }

        needsNameFile = true;
        return "~~" + Convert.ToHexString(SHA256.HashData(bytes), 0, 16);
    }

    /// <summary>The topic of a directory name (reads <see cref="NameFile"/> for hashed names); null when unrecognizable.</summary>
    public static string? FromDirectory(string directory)
    {
        var name = Path.GetFileName(directory);
        if (name.StartsWith("~~", StringComparison.Ordinal))
        {
            var file = Path.Combine(directory, NameFile);
            return File.Exists(file) ? File.ReadAllText(file, Encoding.UTF8) : null;
        }

        var bytes = new List<byte>(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c == '~')
            {
                if (i + 2 >= name.Length || !byte.TryParse(name.AsSpan(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var b))
                {
                    return null;
                }

                bytes.Add(b);
                i += 2;
            }
            else if (c < 128 && IsSafe((byte)c))
            {
                bytes.Add((byte)c);
            }
            else
            {
                return null;
            }
        }

        return bytes.Count == 0 ? null : Encoding.UTF8.GetString([.. bytes]);
    }

    private static bool IsSafe(byte b)
        => b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)'_' or (byte)'-' or (byte)'%';
}
