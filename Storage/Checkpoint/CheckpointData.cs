namespace OrleansMq.Storage.Checkpoint;

/// <summary>What recovery needs to know from before a crash.</summary>
/// <param name="DurableLogOffset">Everything in the log below this was fdatasync'ed (and possibly acknowledged).</param>
/// <param name="DispatchedLogOffset">Consume queue and index entries of every record below this were flushed.</param>
/// <param name="LastStoreTimestamp">Store time of the newest record when the checkpoint was taken, Unix ms.</param>
/// <param name="Clean">True when written by an orderly close (no tail scan needed at the durable position).</param>
internal readonly record struct CheckpointData(long DurableLogOffset, long DispatchedLogOffset, long LastStoreTimestamp, bool Clean);
