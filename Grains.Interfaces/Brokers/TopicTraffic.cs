namespace OrleansMq.Grains.Brokers;

/// <summary>Cumulative traffic of one topic on one broker since the broker started.</summary>
/// <param name="Topic">Topic.</param>
/// <param name="MessagesIn">Messages stored.</param>
/// <param name="BytesIn">Encoded bytes stored.</param>
/// <param name="MessagesOut">Messages returned by pulls (every consumer group and re-read counts).</param>
/// <param name="BytesOut">Record bytes returned by pulls.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.TopicTraffic")]
public sealed record TopicTraffic(
    [property: Id(0)] string Topic,
    [property: Id(1)] long MessagesIn,
    [property: Id(2)] long BytesIn,
    [property: Id(3)] long MessagesOut,
    [property: Id(4)] long BytesOut);
