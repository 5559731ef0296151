namespace OrleansMq.Grains.Messages;

/// <summary>The valid offsets of a queue: <c>[Min, Max)</c>.</summary>
/// <param name="Min">Smallest readable offset.</param>
/// <param name="Max">Offset the next message will get.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.QueueOffsets")]
public readonly record struct QueueOffsets([property: Id(0)] long Min, [property: Id(1)] long Max);
