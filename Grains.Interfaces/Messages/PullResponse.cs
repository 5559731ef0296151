namespace OrleansMq.Grains.Messages;

/// <summary>The broker's answer to a <see cref="PullRequest"/>.</summary>
/// <remarks>
/// <see cref="Records"/> holds whole commit log records back to back (parse with <c>StoredRecord.TryParse</c>);
/// the broker allocated it for this response and never touches it again.
/// </remarks>
/// <param name="Status">Outcome.</param>
/// <param name="Records">Stored records, back to back.</param>
/// <param name="Count">Number of records.</param>
/// <param name="NextOffset">Offset to pull from next.</param>
/// <param name="MinOffset">Smallest valid offset of the queue.</param>
/// <param name="MaxOffset">One past the largest valid offset of the queue.</param>
/// <param name="StoreId">Id of the broker's store, for message ids.</param>
/// <param name="Error">Human-readable reason for failure statuses.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.PullResponse")]
public sealed record PullResponse(
    [property: Id(0)] PullStatus Status,
    [property: Id(1)] MessageBytes Records,
    [property: Id(2)] int Count,
    [property: Id(3)] long NextOffset,
    [property: Id(4)] long MinOffset,
    [property: Id(5)] long MaxOffset,
    [property: Id(6)] long StoreId,
    [property: Id(7)] string? Error = null);
