namespace OrleansMq.Storage.Recovery;

/// <summary>Outcome of <see cref="LogRecovery"/>: where the log ends and what was replayed.</summary>
internal readonly record struct RecoveryResult(long EndOffset, long LastStoreTimestamp, long ReplayedRecords, long ReplayedFrom);
