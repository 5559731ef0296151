namespace OrleansMq.Grains.Transactions;

/// <summary>What the broker did with a commit or rollback of a half message. Values are stable on the wire.</summary>
[GenerateSerializer, Alias("OrleansMq.EndTransactionStatus")]
public enum EndTransactionStatus
{
    /// <summary>Not set: no commit or rollback was sent (the local state was unknown, or the broker could not be reached).</summary>
    Invalid = 0,

    /// <summary>Committed now: the message was appended to its queue.</summary>
    Committed = 1,

    /// <summary>Rolled back now: the message was discarded.</summary>
    RolledBack = 2,

    /// <summary>It had already been committed (by an earlier call or a check-back).</summary>
    AlreadyCommitted = 3,

    /// <summary>It had already been rolled back (by an earlier call or a check-back).</summary>
    AlreadyRolledBack = 4,

    /// <summary>It had already been discarded after the most check-backs without an answer.</summary>
    AlreadyDiscarded = 5,

    /// <summary>It was finished earlier; the broker no longer remembers how.</summary>
    AlreadyFinished = 6,

    /// <summary>The broker holds no half message at that position (wrong id, or deleted by retention).</summary>
    NotFound = 7,

    /// <summary>The half message belongs to another producer group; nothing was changed.</summary>
    GroupMismatch = 8,

    /// <summary>The broker could not write; the half message is still pending and a check-back will resolve it.</summary>
    StoreError = 9,
}
