using OrleansMq.Storage.Codec;

namespace OrleansMq.Storage;

/// <summary>A read-side filter: a cheap check on the consume queue's tag hash, then an exact check on the record.</summary>
/// <remarks>Called on the reading thread; implementations must be thread-safe and must not keep the spans.</remarks>
public interface IMessageFilter
{
    /// <summary>False when the tag hash alone proves the message does not match.</summary>
    bool MayMatch(long tagHash);

    /// <summary>Exact check on the stored record.</summary>
    bool Matches(StoredRecord record);
}
