namespace OrleansMq.Grains.Messages;

/// <summary>A request for messages from one queue.</summary>
/// <param name="Offset">First queue offset wanted.</param>
/// <param name="MaxMessages">Most messages to return.</param>
/// <param name="MaxBytes">Soft cap on returned bytes (at least one message is returned when available).</param>
/// <param name="Filter">Optional filter; null matches everything.</param>
/// <param name="Wait">Long-poll time: how long the broker holds the request when nothing is available.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.PullRequest")]
public sealed record PullRequest(
    [property: Id(0)] long Offset,
    [property: Id(1)] int MaxMessages,
    [property: Id(2)] int MaxBytes,
    [property: Id(3)] FilterExpression? Filter,
    [property: Id(4)] TimeSpan Wait);
