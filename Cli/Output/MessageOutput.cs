using System.Text;
using OrleansMq.Client.Messages;

namespace OrleansMq.Cli.Output;

/// <summary>Messages as tables and JSON: the body as text when it is printable UTF-8, else as base64 (JSON) or hex (tables).</summary>
internal static class MessageOutput
{
    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    public static object ToJson(ReceivedMessage m)
    {
        var text = TryText(m.Body.Span);
        return new
        {
            Id = m.MessageId,
            m.Topic,
            m.StoredTopic,
            m.Broker,
            m.QueueId,
            m.QueueOffset,
            BornAt = DateTimeOffset.FromUnixTimeMilliseconds(m.BornTimestamp),
            StoredAt = DateTimeOffset.FromUnixTimeMilliseconds(m.StoreTimestamp),
            m.Tag,
            m.Keys,
            m.UniqueKey,
            m.ReconsumeTimes,
            m.OriginMessageId,
            Properties = m.AllProperties,
            BodySize = m.Body.Length,
            Body = text,
            BodyBase64 = text is null ? Convert.ToBase64String(m.Body.Span) : null,
        };
    }

    public static void WriteTable(TextWriter output, IReadOnlyList<ReceivedMessage> messages, bool withBody)
    {
        var headers = new List<string> { "MESSAGE ID", "TOPIC", "QUEUE", "OFFSET", "STORED", "TAG", "KEYS", "SIZE" };
        if (withBody)
        {
            headers.Add("BODY");
        }

        var table = new Table([.. headers]).RightAlign("QUEUE", "OFFSET", "SIZE");
        foreach (var m in messages)
        {
            var cells = new List<object?> { m.MessageId, m.Topic, m.QueueId, m.QueueOffset, Formats.Time(m.StoreTimestamp), m.Tag, string.Join(",", m.Keys), Formats.Bytes(m.Body.Length) };
            if (withBody)
            {
                cells.Add(Preview(m.Body.Span, 60));
            }

            table.Add([.. cells]);
        }

        table.WriteTo(output);
    }

    /// <summary>One line of the body: text with control characters shown as spaces, or hex, cut to <paramref name="max"/> characters.</summary>
    public static string Preview(ReadOnlySpan<byte> body, int max)
    {
        var text = TryText(body) is { } t ? t.ReplaceLineEndings(" ") : "0x" + Convert.ToHexString(body.Length > max ? body[..max] : body).ToLowerInvariant();
        return text.Length > max ? text[..(max - 1)] + "…" : text;
    }

    private static string? TryText(ReadOnlySpan<byte> body)
    {
        try
        {
            var text = Strict.GetString(body);
            return text.Any(c => char.IsControl(c) && c is not ('\t' or '\r' or '\n')) ? null : text;
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
