namespace OrleansMq.Grains.Routing;

/// <summary>
/// The grain key of a queue: <c>{broker}|{topic}|{queueId}</c>. The broker comes first so the placement director can
/// pin the activation to the broker's silo from the key alone (no lookup on the activation path).
/// </summary>
/// <param name="Broker">Owning broker.</param>
/// <param name="Topic">Topic.</param>
/// <param name="QueueId">Queue id.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.QueueKey")]
public readonly record struct QueueKey([property: Id(0)] string Broker, [property: Id(1)] string Topic, [property: Id(2)] int QueueId)
{
    /// <summary>Separator between the key's parts; not allowed in names.</summary>
    public const char Separator = '|';

    /// <summary>Formats the grain key.</summary>
    public override string ToString() => string.Concat(Broker, "|", Topic, "|", QueueId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Parses a grain key written by <see cref="ToString"/>.</summary>
    /// <exception cref="FormatException">The key does not have three parts.</exception>
    public static QueueKey Parse(string key)
    {
        var first = key.IndexOf(Separator, StringComparison.Ordinal);
        var last = key.LastIndexOf(Separator);
        if (first <= 0 || last <= first + 1
            || !int.TryParse(key.AsSpan(last + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var queueId))
        {
            throw new FormatException($"'{key}' is not a queue key of the form broker|topic|queueId.");
        }

        return new QueueKey(key[..first], key[(first + 1)..last], queueId);
    }

    /// <summary>The broker part of any pinned grain key (<c>broker</c> or <c>broker|…</c>).</summary>
    public static ReadOnlySpan<char> BrokerOf(ReadOnlySpan<char> key)
    {
        var first = key.IndexOf(Separator);
        return first < 0 ? key : key[..first];
    }
}
