namespace OrleansMq.Grains.Messages;

/// <summary>The broker's answer to an <see cref="AppendRequest"/>.</summary>
/// <param name="Status">Batch outcome: <see cref="SendStatus.Ok"/> when every message was stored, else the first problem.</param>
/// <param name="StoreId">Id of the broker's store; with a log offset it forms the message id.</param>
/// <param name="Messages">Per-message results in batch order; empty when the whole batch was refused.</param>
/// <param name="Error">Human-readable reason when the status is not Ok.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.AppendResponse")]
public sealed record AppendResponse(
    [property: Id(0)] SendStatus Status,
    [property: Id(1)] long StoreId,
    [property: Id(2)] AppendedMessage[] Messages,
    [property: Id(3)] string? Error = null);
