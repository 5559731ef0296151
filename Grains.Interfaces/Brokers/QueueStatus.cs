namespace OrleansMq.Grains.Brokers;

/// <summary>A queue held by a broker and its offsets.</summary>
/// <param name="Topic">Topic.</param>
/// <param name="QueueId">Queue id.</param>
/// <param name="MinOffset">Smallest readable offset.</param>
/// <param name="MaxOffset">Offset the next message will get.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.QueueStatus")]
public sealed record QueueStatus([property: Id(0)] string Topic, [property: Id(1)] int QueueId, [property: Id(2)] long MinOffset, [property: Id(3)] long MaxOffset);
