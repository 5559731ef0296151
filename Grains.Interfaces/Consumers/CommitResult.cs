namespace OrleansMq.Grains.Consumers;

/// <summary>The outcome of an offset commit.</summary>
/// <param name="Accepted">Commits stored.</param>
/// <param name="Rejected">Commits refused because the member does not hold the queue under that lease (fenced).</param>
/// <param name="KnownMember">False when the group does not know the member (expired): it must register again.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.CommitResult")]
public sealed record CommitResult([property: Id(0)] int Accepted, [property: Id(1)] OffsetCommit[] Rejected, [property: Id(2)] bool KnownMember);
