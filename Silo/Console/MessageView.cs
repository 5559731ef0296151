using OrleansMq.Client.Messages;

namespace OrleansMq.Silo.Console;

/// <summary>A message as the console's JSON API returns it (times in UTC, body as a preview).</summary>
internal sealed record MessageView(
    string Id,
    string Topic,
    string StoredTopic,
    string Broker,
    int QueueId,
    long QueueOffset,
    DateTimeOffset BornAt,
    DateTimeOffset StoredAt,
    string? Tag,
    IReadOnlyList<string> Keys,
    string? UniqueKey,
    int ReconsumeTimes,
    string? OriginMessageId,
    IReadOnlyDictionary<string, string> Properties,
    int BodySize,
    string BodyEncoding,
    string Body,
    bool BodyTruncated)
{
    public static MessageView From(ReceivedMessage m)
    {
        var (encoding, preview, truncated) = BodyPreview.Of(m.Body.Span);
        return new MessageView(
            m.MessageId,
            m.Topic,
            m.StoredTopic,
            m.Broker,
            m.QueueId,
            m.QueueOffset,
            DateTimeOffset.FromUnixTimeMilliseconds(m.BornTimestamp),
            DateTimeOffset.FromUnixTimeMilliseconds(m.StoreTimestamp),
            m.Tag,
            m.Keys,
            m.UniqueKey,
            m.ReconsumeTimes,
            m.OriginMessageId,
            new SortedDictionary<string, string>(m.AllProperties.ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal),
            m.Body.Length,
            encoding,
            preview,
            truncated);
    }
}
