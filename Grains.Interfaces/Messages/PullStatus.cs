namespace OrleansMq.Grains.Messages;

/// <summary>Outcome of a pull. Values are stable on the wire.</summary>
[GenerateSerializer, Alias("OrleansMq.PullStatus")]
public enum PullStatus
{
    /// <summary>Not set.</summary>
    Invalid = 0,

    /// <summary>Messages returned.</summary>
    Found = 1,

    /// <summary>Nothing new within the wait time; pull again from the same offset.</summary>
    NoNewMessage = 2,

    /// <summary>Messages were scanned but none matched the filter; continue from the next offset.</summary>
    NoMatchedMessage = 3,

    /// <summary>The offset is below the queue's min offset (already deleted); the valid range is in the result.</summary>
    OffsetTooSmall = 4,

    /// <summary>The offset is beyond the queue's max offset; the valid range is in the result.</summary>
    OffsetTooBig = 5,

    /// <summary>The topic does not exist.</summary>
    TopicNotFound = 6,

    /// <summary>The topic does not allow reads.</summary>
    NoPermission = 7,

    /// <summary>The queue is not owned by this broker; refresh the route.</summary>
    QueueNotOwned = 8,

    /// <summary>The broker is starting or stopping.</summary>
    ServiceUnavailable = 9,
}
