namespace OrleansMq.Grains.Consumers.Allocation;

/// <summary>A queue of a topic, ordered by topic then queue id (the order allocation works in).</summary>
internal readonly record struct QueueRef(string Topic, int QueueId) : IComparable<QueueRef>
{
    public int CompareTo(QueueRef other)
    {
        var byTopic = string.CompareOrdinal(Topic, other.Topic);
        return byTopic != 0 ? byTopic : QueueId.CompareTo(other.QueueId);
    }

    /// <summary>Key of the queue in persisted offsets.</summary>
    public string Key => string.Concat(Topic, "|", QueueId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public override string ToString() => string.Concat(Topic, "/", QueueId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static QueueRef ParseKey(string key)
    {
        var bar = key.LastIndexOf('|');
        return new QueueRef(key[..bar], int.Parse(key.AsSpan(bar + 1), System.Globalization.CultureInfo.InvariantCulture));
    }
}
