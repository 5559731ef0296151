namespace OrleansMq.Storage.Codec;

/// <summary>Per-message flags stored in the record header. Values are persisted: never renumber, only add.</summary>
[Flags]
public enum MessageFlags
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>Half (prepared) transactional message, invisible to consumers until committed.</summary>
    TransactionPrepared = 1 << 0,

    /// <summary>Commit marker of a transactional message.</summary>
    TransactionCommit = 1 << 1,

    /// <summary>Rollback marker of a transactional message.</summary>
    TransactionRollback = 1 << 2,

    /// <summary>The body is compressed (codec named in the properties).</summary>
    Compressed = 1 << 3,

    /// <summary>A delay-level or timer message: delivered to its queue only when due.</summary>
    Scheduled = 1 << 4,
}
