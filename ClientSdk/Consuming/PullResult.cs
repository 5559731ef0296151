using OrleansMq.Client.Messages;
using OrleansMq.Grains.Messages;

namespace OrleansMq.Client.Consuming;

/// <summary>The outcome of one pull.</summary>
/// <param name="Status">Found, nothing new, or why not.</param>
/// <param name="NextOffset">Offset to pull from next.</param>
/// <param name="MinOffset">Smallest valid offset of the queue.</param>
/// <param name="MaxOffset">One past the largest valid offset of the queue.</param>
/// <param name="Messages">The messages, in queue order.</param>
/// <param name="Error">Why the pull was refused, for failure statuses.</param>
public sealed record PullResult(PullStatus Status, long NextOffset, long MinOffset, long MaxOffset, IReadOnlyList<ReceivedMessage> Messages, string? Error = null);
