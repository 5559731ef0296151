namespace OrleansMq.Storage.ConsumeQueue;

/// <summary>
/// The directories above new queue directories (a topic's, and the consume queue root), synced once per checkpoint
/// after every queue's own files and directory instead of once per new queue: a checkpoint after 1,000 queues were
/// created made ~2,000 such syncs, each a journal commit the log's group-commit syncs waited behind.
/// </summary>
/// <remarks>Used by one checkpoint at a time (under the store's checkpoint lock).</remarks>
internal sealed class ParentDirectorySync
{
    private readonly HashSet<string> _topics = new(StringComparer.Ordinal);
    private readonly HashSet<string> _roots = new(StringComparer.Ordinal);
    private readonly List<Action> _restore = [];

    /// <summary>Notes that <paramref name="topicDirectory"/> and its parent need a sync; <paramref name="restore"/> marks it needed again if the sync fails.</summary>
    public void Add(string topicDirectory, Action restore)
    {
        _topics.Add(topicDirectory);
        _roots.Add(Path.GetDirectoryName(topicDirectory)!);
        _restore.Add(restore);
    }

    /// <summary>Syncs each noted directory once, topics before the root (a synced parent never names an unsynced child).</summary>
    /// <exception cref="IOException">A sync failed; every queue that deferred to this one syncs its parents at the next checkpoint.</exception>
    public void Sync()
    {
        try
        {
            foreach (var directory in _topics)
            {
                ConsumeQueue.FlushDirectoryIfPresent(directory);
            }

            foreach (var directory in _roots)
            {
                ConsumeQueue.FlushDirectoryIfPresent(directory);
            }
        }
        catch
        {
            Restore();
            throw;
        }
    }

    /// <summary>Marks every noted queue's parents as needing a sync again (the checkpoint failed before <see cref="Sync"/>).</summary>
    public void Restore()
    {
        foreach (var restore in _restore)
        {
            restore();
        }
    }
}
