using System.Text;

namespace OrleansMq.Silo.Console;

/// <summary>
/// A message body as the console shows it: UTF-8 text when the body decodes as UTF-8 and has no control characters
/// other than tab, CR and LF, else hexadecimal; at most <see cref="MaxTextChars"/> characters or <see cref="MaxHexBytes"/>
/// bytes, flagged as truncated beyond that.
/// </summary>
internal static class BodyPreview
{
    public const int MaxTextChars = 4096;
    public const int MaxHexBytes = 1024;

    /// <summary>Bytes decoded to decide: a longer body is judged by its first part (its last character may be cut).</summary>
    private const int MaxInspectedBytes = MaxTextChars * 4;

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Returns the encoding used (<c>text</c> or <c>hex</c>), the preview and whether it was cut.</summary>
    public static (string Encoding, string Preview, bool Truncated) Of(ReadOnlySpan<byte> body)
    {
        if (TryText(body, out var text))
        {
            return text.Length > MaxTextChars ? ("text", text[..MaxTextChars], true) : ("text", text, body.Length > MaxInspectedBytes);
        }

        var shown = body.Length > MaxHexBytes ? body[..MaxHexBytes] : body;
        return ("hex", Convert.ToHexString(shown).ToLowerInvariant(), body.Length > MaxHexBytes);
    }

    private static bool TryText(ReadOnlySpan<byte> body, out string text)
    {
        text = "";
        var inspected = body;
        if (body.Length > MaxInspectedBytes)
        {
            // Do not judge a multi-byte character cut at the boundary: back up to the start of the last character.
            var end = MaxInspectedBytes;
            while (end > MaxInspectedBytes - 4 && (body[end] & 0xC0) == 0x80)
            {
                end--;
            }

            inspected = body[..end];
        }

        try
        {
            text = Strict.GetString(inspected);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (char.IsControl(c) && c is not ('\t' or '\r' or '\n'))
            {
                return false;
            }
        }

        return true;
    }
}
