using OrleansMq.Storage.Retention;

namespace OrleansMq.Storage.Internal;

/// <summary>Seams for tests: disk space, fault injection and maintenance timing. Production passes none.</summary>
internal sealed class StoreTestHooks
{
    /// <summary>Appends queued to the writer at once before further ones wait for a slot; default 16,384.</summary>
    public int? MaxPendingAppends { get; init; }

    /// <summary>Replaces the real disk probe.</summary>
    public IDiskSpaceProbe? DiskSpaceProbe { get; init; }

    /// <summary>How often consume queues and indexes are flushed and the checkpoint written; default 1 s. <see cref="Timeout.InfiniteTimeSpan"/> turns it off.</summary>
    public TimeSpan? CheckpointInterval { get; init; }

    /// <summary>Called before each commit log <c>pwrite</c> with (log offset, length); throw an <see cref="IOException"/> to inject a failure.</summary>
    public Action<long, int>? BeforeWrite { get; set; }

    /// <summary>Called by the writer (sync policy) before it starts writeback of a written range, with (log offset, length).</summary>
    public Action<long, long>? BeforeWriteback { get; set; }

    /// <summary>Called by the writer before dispatching each record (log offset); throw an <see cref="IOException"/> to fail a consume queue/index write.</summary>
    public Action<long>? BeforeDispatch { get; set; }

    /// <summary>Called before each commit log fdatasync; throw an <see cref="IOException"/> to inject a failure.</summary>
    public Action? BeforeFlush { get; set; }
}
