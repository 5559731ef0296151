namespace OrleansMq.Storage;

/// <summary>Outcome of an append, per batch and per message. Persisted nowhere; values are stable for the wire.</summary>
public enum AppendStatus
{
    /// <summary>Not set.</summary>
    Invalid = 0,

    /// <summary>Stored (and flushed, under the sync policy).</summary>
    Ok = 1,

    /// <summary>Stored, but the synchronous flush did not finish within <c>FlushTimeout</c>.</summary>
    FlushTimeout = 2,

    /// <summary>The body is larger than <c>MaxBodySize</c>, or empty.</summary>
    BodyTooLarge = 3,

    /// <summary>The encoded properties are larger than <c>MaxPropertiesSize</c>.</summary>
    PropertiesTooLarge = 4,

    /// <summary>The batch or a message in it is malformed.</summary>
    MessageIllegal = 5,

    /// <summary>Free disk space is below <c>MinFreeDiskBytes</c>; nothing was written.</summary>
    DiskFull = 6,

    /// <summary>The disk write or flush failed; nothing from this batch is visible.</summary>
    IoError = 7,

    /// <summary>The store is closing or closed.</summary>
    StoreClosed = 8,
}
