namespace OrleansMq.Storage.CommitLog;

/// <summary>
/// Keeps only the newest <c>MessageStoreOptions.LogCacheBytes</c> of the commit log in the OS page cache: durable data
/// further behind than that is dropped (<c>posix_fadvise(DONTNEED)</c>) in steps of at least <see cref="Step"/>. The
/// kernel then hands the freed pages to the next writes instead of taking fresh memory for every written byte and
/// reclaiming old pages under pressure; consumers that lag further behind read from disk.
/// </summary>
/// <remarks>
/// Why: on the reference VM a write into a page the kernel has not used lately costs a fault in the hypervisor, and
/// copying W1's records into fresh page-cache pages took up to a third of the broker's CPU (docs/benchmarks.md); a
/// bounded cache also keeps a broker's page cache inside a container's memory limit, which counts it.
/// <see cref="OnDurable"/> is called by the flush thread; the drop itself runs on the thread pool, one at a time, so
/// the next group commit never waits for it. Zero disables trimming.
/// </remarks>
internal sealed class PageCacheTrimmer(CommitLog log, long window)
{
    /// <summary>Smallest range dropped at once: one call per 8 MiB keeps the cost per written byte negligible.</summary>
    public const long Step = 8L << 20;

    private long _trimmed = -1;
    private long _target;
    private int _running;

    /// <summary>Log offset below which the cache has been dropped; -1 before the first flush.</summary>
    public long Trimmed => Volatile.Read(ref _trimmed);

    /// <summary>Flush thread: everything below <paramref name="durable"/> is on disk; starts a drop when one is due.</summary>
    public void OnDurable(long durable)
    {
        if (window <= 0)
        {
            return;
        }

        var end = durable - window;
        var trimmed = Volatile.Read(ref _trimmed);
        if (trimmed < 0)
        {
            // Anything older was cached before a restart, if at all; the kernel reclaims it as usual.
            Volatile.Write(ref _trimmed, Math.Max(log.MinOffset, end));
            return;
        }

        if (end - trimmed < Step || Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }

        Volatile.Write(ref _target, end);
        ThreadPool.UnsafeQueueUserWorkItem(static trimmer => trimmer.Drop(), this, preferLocal: false);
    }

    private void Drop()
    {
        var from = Volatile.Read(ref _trimmed);
        var to = Volatile.Read(ref _target);
        try
        {
            foreach (var segment in log.Segments)
            {
                var start = Math.Max(from, segment.Start);
                var end = Math.Min(to, segment.End);
                if (start >= end || !segment.TryAcquire())
                {
                    continue; // Not in range, or retired by retention meanwhile.
                }

                try
                {
                    _ = segment.DropCache(start, end - start); // Best effort: a failure only leaves pages cached.
                }
                finally
                {
                    segment.Release();
                }
            }

            Volatile.Write(ref _trimmed, to);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }
}
