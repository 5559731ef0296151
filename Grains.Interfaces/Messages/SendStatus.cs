namespace OrleansMq.Grains.Messages;

/// <summary>Outcome of storing a message on a broker. Values are stable on the wire.</summary>
[GenerateSerializer, Alias("OrleansMq.SendStatus")]
public enum SendStatus
{
    /// <summary>Not set.</summary>
    Invalid = 0,

    /// <summary>Stored as the broker's flush policy promises.</summary>
    Ok = 1,

    /// <summary>Written, but the synchronous flush did not complete in time (RocketMQ FLUSH_DISK_TIMEOUT).</summary>
    FlushDiskTimeout = 2,

    /// <summary>The body is empty or larger than the broker's maximum.</summary>
    BodyTooLarge = 3,

    /// <summary>The encoded properties are larger than the broker's maximum.</summary>
    PropertiesTooLarge = 4,

    /// <summary>The message or batch is malformed.</summary>
    MessageIllegal = 5,

    /// <summary>The broker's disk is below its free-space threshold; nothing was written.</summary>
    DiskFull = 6,

    /// <summary>The broker could not write or flush; nothing from the batch is visible.</summary>
    StoreError = 7,

    /// <summary>The broker is starting or stopping.</summary>
    ServiceUnavailable = 8,

    /// <summary>The topic does not exist (and auto-create is off).</summary>
    TopicNotFound = 9,

    /// <summary>The topic does not allow writes.</summary>
    NoPermission = 10,

    /// <summary>The queue is not (or no longer) owned by this broker; refresh the route.</summary>
    QueueNotOwned = 11,

    /// <summary>
    /// Idempotent producer: the batch's sequence does not follow the last one the queue stored from this producer
    /// (a gap or an overlap); nothing was stored.
    /// </summary>
    OutOfOrderSequence = 12,

    /// <summary>
    /// Idempotent producer: the queue already stored this batch, but no longer remembers its results; nothing was
    /// stored again.
    /// </summary>
    DuplicateSequence = 13,
}
