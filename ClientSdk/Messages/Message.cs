namespace OrleansMq.Client.Messages;

/// <summary>A message to send.</summary>
/// <remarks>
/// The producer encodes the message when it is accepted and keeps only the encoding and <see cref="Body"/>; do not
/// change the body's memory until the send completes.
/// </remarks>
public sealed class Message
{
    /// <summary>Creates a message.</summary>
    public Message(string topic, ReadOnlyMemory<byte> body)
    {
        Topic = topic;
        Body = body;
    }

    /// <summary>Creates a message with a UTF-8 text body.</summary>
    public Message(string topic, string body)
        : this(topic, System.Text.Encoding.UTF8.GetBytes(body))
    {
    }

    /// <summary>Destination topic.</summary>
    public string Topic { get; set; }

    /// <summary>Body (1 byte up to the broker's maximum, 4 MiB by default).</summary>
    public ReadOnlyMemory<byte> Body { get; set; }

    /// <summary>Optional tag, filterable on the broker (<c>TagA || TagB</c>).</summary>
    public string? Tag { get; set; }

    /// <summary>Optional business keys, each indexed for lookup. May not contain spaces.</summary>
    public IList<string> Keys { get; } = new List<string>();

    /// <summary>User properties (names not reserved; total encoded size up to 32 KiB).</summary>
    public IDictionary<string, string> Properties { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
