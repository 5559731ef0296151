namespace OrleansMq.Grains.Transactions;

/// <summary>A half message waiting for its outcome. Mutable; guarded by the <see cref="TransactionService"/> lock.</summary>
internal sealed class PendingHalf(long logOffset, long queueOffset, HalfInfo info, bool recovered)
{
    /// <summary>Log offset of the half record: with the store id, the transaction id.</summary>
    public long LogOffset { get; } = logOffset;

    /// <summary>Offset of the half record in the half queue.</summary>
    public long QueueOffset { get; } = queueOffset;

    /// <summary>Where it goes and who can check it.</summary>
    public HalfInfo Info { get; } = info;

    /// <summary>Rebuilt from the log at start: a commit checks first whether an earlier commit already appended it.</summary>
    public bool Recovered { get; } = recovered;

    /// <summary>Check-backs done without an answer.</summary>
    public int Checks { get; set; }

    /// <summary>Scheduling time of the last check-back, Unix ms.</summary>
    public long LastCheckAt { get; set; }

    /// <summary>Scheduling time of the next check-back, Unix ms.</summary>
    public long NextCheckAt { get; set; }

    /// <summary>A check-back is asking a producer about it right now.</summary>
    public bool Checking { get; set; }
}
