namespace OrleansMq.Storage;

/// <summary>A queue known to the store and its offset range.</summary>
/// <param name="Topic">Topic.</param>
/// <param name="QueueId">Queue id.</param>
/// <param name="Range">Valid offsets.</param>
public sealed record QueueInfo(string Topic, int QueueId, QueueRange Range);
