using System.Globalization;
using System.Text;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.ConsumeQueue;

/// <summary>
/// The consume queue of one (topic, queue): fixed 20-byte entries in segment files
/// <c>consumequeue/{topic}/{queueId}/{20-digit first queue offset}</c>, O(1) lookup by queue offset.
/// </summary>
/// <remarks>
/// Threading: entries are written by one thread at a time (the commit log writer at runtime, recovery at open);
/// readers run concurrently and see an entry only below <see cref="VisibleMax"/>, which is published after the
/// entry is written (and, under the sync policy, after its record is durable). File-list changes take
/// <c>_filesLock</c>; readers use the published array and hold a file while they read it.
/// </remarks>
internal sealed class ConsumeQueue
{
    private readonly Lock _filesLock = new();
    private readonly string _directory;
    private int _namesUnsynced;
    private int _directoryUnsynced;
    private readonly string _topicDirectory;
    private readonly bool _needsNameFile;
    private readonly int _entriesPerFile;
    private ConsumeQueueFile[] _files = [];
    private long _min;
    private long _visibleMax;
    private TaskCompletionSource? _signal;
    private volatile bool _deleted;

    public ConsumeQueue(string root, string topic, int queueId, int entriesPerFile)
    {
        Topic = topic;
        QueueId = queueId;
        TopicUtf8 = Encoding.UTF8.GetBytes(topic);
        _entriesPerFile = entriesPerFile;
        _topicDirectory = Path.Combine(root, TopicNames.ToDirectoryName(topic, out _needsNameFile));
        _directory = Path.Combine(_topicDirectory, queueId.ToString(CultureInfo.InvariantCulture));
    }

    public string Topic { get; }

    public int QueueId { get; }

    /// <summary>The topic as UTF-8, encoded once for the writer.</summary>
    public byte[] TopicUtf8 { get; }

    /// <summary>The offset the next message will get. Owned by the writing thread.</summary>
    public long NextOffset { get; set; }

    public long MinOffset => Volatile.Read(ref _min);

    /// <summary>One past the largest offset readers may see.</summary>
    public long VisibleMax => Volatile.Read(ref _visibleMax);

    public QueueRange Range
    {
        get
        {
            var max = VisibleMax;
            return new QueueRange(Math.Min(MinOffset, max), max);
        }
    }

    public bool IsDeleted => _deleted;

    /// <summary>True when the queue has files on disk or has been written.</summary>
    public bool Exists => Volatile.Read(ref _files).Length > 0 || NextOffset > 0;

    /// <summary>Opens the files of a queue directory (recovery decides the max afterwards).</summary>
    public void Load()
    {
        if (!System.IO.Directory.Exists(_directory))
        {
            return;
        }

        FileResource.DeleteLeftovers(_directory);
        var files = new List<ConsumeQueueFile>();
        foreach (var path in System.IO.Directory.EnumerateFiles(_directory))
        {
            var name = Path.GetFileName(path);
            if (name.Length != 20 || !long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var first))
            {
                continue;
            }

            var length = new FileInfo(path).Length;
            var count = length >= ConsumeQueueEntry.Size ? (int)(length / ConsumeQueueEntry.Size) : _entriesPerFile;
            files.Add(new ConsumeQueueFile(path, first, count));
        }

        files.Sort(static (a, b) => a.FirstOffset.CompareTo(b.FirstOffset));
        for (var i = 1; i < files.Count; i++)
        {
            if (files[i].FirstOffset != files[i - 1].EndOffset)
            {
                // A gap can only come from a file lost outside the store; keep the contiguous prefix.
                for (var j = i; j < files.Count; j++)
                {
                    files[j].Retire();
                }

                files.RemoveRange(i, files.Count - i);
                break;
            }
        }

        _files = [.. files];
        if (files.Count == 0)
        {
            return;
        }

        var min = files[0].FirstOffset;
        foreach (var file in files)
        {
            var first = file.FirstWritten();
            if (first >= 0)
            {
                min = first;
                break;
            }
        }

        _min = min;
        NextOffset = files[^1].EndOffset;
        _visibleMax = 0;
    }

    /// <summary>Reads one entry; false when it is not there (empty slot or file gone).</summary>
    public bool TryRead(long queueOffset, out ConsumeQueueEntry entry)
    {
        entry = default;
        var file = FindFile(Volatile.Read(ref _files), queueOffset);
        if (file is null || !file.TryAcquire())
        {
            return false;
        }

        try
        {
            entry = file.Read(queueOffset);
        }
        finally
        {
            file.Release();
        }

        return !entry.IsEmpty;
    }

    /// <summary>Copies up to <paramref name="destination"/>.Length consecutive entries; returns how many.</summary>
    public int ReadEntries(long queueOffset, Span<ConsumeQueueEntry> destination)
    {
        var files = Volatile.Read(ref _files);
        var count = 0;
        while (count < destination.Length)
        {
            var offset = queueOffset + count;
            var file = FindFile(files, offset);
            if (file is null || !file.TryAcquire())
            {
                break;
            }

            try
            {
                count += file.Read(offset, destination[count..]);
            }
            finally
            {
                file.Release();
            }
        }

        return count;
    }

    /// <summary>Stores the entry of <paramref name="queueOffset"/> (single writer).</summary>
    public void Put(long queueOffset, in ConsumeQueueEntry entry)
    {
        var file = FindFile(Volatile.Read(ref _files), queueOffset) ?? AddFileFor(queueOffset);
        file.Write(queueOffset, entry);
        if (queueOffset >= NextOffset)
        {
            if (NextOffset == MinOffset && queueOffset > NextOffset)
            {
                // An empty queue starting above its old end (a topic recreated at offsets replayed from the log).
                Volatile.Write(ref _min, queueOffset);
            }

            NextOffset = queueOffset + 1;
        }
    }

    /// <summary>Makes offsets below <paramref name="max"/> visible and wakes long polls.</summary>
    public void PublishVisible(long max)
    {
        if (max > Volatile.Read(ref _visibleMax))
        {
            Volatile.Write(ref _visibleMax, max);
            Interlocked.Exchange(ref _signal, null)?.TrySetResult();
        }
    }

    /// <summary>A task completed at the next <see cref="PublishVisible"/> or deletion. Allocates only when someone waits.</summary>
    public Task WhenChanged()
    {
        var current = Volatile.Read(ref _signal);
        if (current is null)
        {
            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            current = Interlocked.CompareExchange(ref _signal, created, null) ?? created;
        }

        return current.Task;
    }

    /// <summary>Drops every entry whose record starts at or after <paramref name="logOffset"/> (recovery, rewind).</summary>
    public void TruncateFromLogOffset(long logOffset)
    {
        var files = Volatile.Read(ref _files);
        if (files.Length == 0)
        {
            return;
        }

        // Entries below the cut are dense and ordered by log offset; empty slots count as "at or after".
        var low = Math.Min(MinOffset, files[^1].EndOffset);
        var high = files[^1].EndOffset;
        while (low < high)
        {
            var mid = low + ((high - low) / 2);
            if (TryRead(mid, out var entry) && entry.LogOffset < logOffset)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        TruncateAt(low);
    }

    /// <summary>Erases entries from <paramref name="queueOffset"/> on; the queue continues there.</summary>
    public void TruncateAt(long queueOffset)
    {
        lock (_filesLock)
        {
            var keep = new List<ConsumeQueueFile>(_files.Length);
            foreach (var file in _files)
            {
                if (file.EndOffset <= queueOffset)
                {
                    keep.Add(file);
                    continue;
                }

                if (file.FirstOffset >= queueOffset && keep.Count > 0)
                {
                    file.RetireAndDelete();
                    continue;
                }

                file.TruncateFrom(Math.Max(queueOffset, file.FirstOffset));
                keep.Add(file);
            }

            Volatile.Write(ref _files, [.. keep]);
            NextOffset = queueOffset;
            if (MinOffset > queueOffset)
            {
                Volatile.Write(ref _min, queueOffset);
            }

            if (VisibleMax > queueOffset)
            {
                Volatile.Write(ref _visibleMax, queueOffset);
            }
        }
    }

    /// <summary>Moves the min offset past entries whose records were deleted; deletes files wholly below it.</summary>
    public void CorrectMinOffset(long minLogOffset)
    {
        var low = MinOffset;
        var high = Math.Max(low, VisibleMax);
        while (low < high)
        {
            var mid = low + ((high - low) / 2);
            if (TryRead(mid, out var entry) && entry.LogOffset < minLogOffset)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        if (low <= MinOffset)
        {
            return;
        }

        Volatile.Write(ref _min, low);
        lock (_filesLock)
        {
            var files = _files;
            var drop = 0;
            while (drop < files.Length - 1 && files[drop].EndOffset <= low)
            {
                files[drop].RetireAndDelete();
                drop++;
            }

            if (drop > 0)
            {
                Volatile.Write(ref _files, files[drop..]);
            }
        }
    }

    /// <summary>Writes the entries of every file and writes them back, paced or only started (before <see cref="Flush"/>).</summary>
    public void WriteBack(bool paced)
    {
        foreach (var file in Volatile.Read(ref _files))
        {
            file.WriteBack(paced);
        }
    }

    /// <summary>Writes and fdatasyncs the entries of every file, then fsyncs the directories that gained a name since the last flush.</summary>
    public void Flush()
    {
        foreach (var file in Volatile.Read(ref _files))
        {
            file.Flush();
        }

        // Parents last, so a synced parent never names a directory whose own entries are not yet durable.
        if (Interlocked.Exchange(ref _namesUnsynced, 0) != 0)
        {
            FlushDirectoryIfPresent(_directory);
        }

        if (Interlocked.Exchange(ref _directoryUnsynced, 0) != 0)
        {
            FlushDirectoryIfPresent(_topicDirectory);
            FlushDirectoryIfPresent(Path.GetDirectoryName(_topicDirectory)!);
        }
    }

    private static void FlushDirectoryIfPresent(string directory)
    {
        try
        {
            NativeMethods.FlushDirectory(directory);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // The topic was deleted meanwhile: nothing left to make durable.
        }
    }

    /// <summary>Deletes every file (topic deletion); waiters wake and see the queue gone.</summary>
    public void Delete()
    {
        _deleted = true;
        lock (_filesLock)
        {
            foreach (var file in _files)
            {
                file.RetireAndDelete();
            }

            _files = [];
        }

        Interlocked.Exchange(ref _signal, null)?.TrySetResult();
        TryDeleteDirectory(_directory);
        TryDeleteDirectory(_topicDirectory);
    }

    /// <summary>Unmaps every file (store close).</summary>
    public void Close()
    {
        lock (_filesLock)
        {
            foreach (var file in _files)
            {
                file.Retire();
            }

            _files = [];
        }

        Interlocked.Exchange(ref _signal, null)?.TrySetResult();
    }

    /// <summary>Bytes used by the files.</summary>
    public long FileBytes()
    {
        long total = 0;
        foreach (var file in Volatile.Read(ref _files))
        {
            total += file.Capacity;
        }

        return total;
    }

    private static ConsumeQueueFile? FindFile(ConsumeQueueFile[] files, long queueOffset)
    {
        if (files.Length == 0)
        {
            return null;
        }

        var last = files[^1];
        if (queueOffset >= last.FirstOffset)
        {
            return queueOffset < last.EndOffset ? last : null;
        }

        int low = 0, high = files.Length - 1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            var file = files[mid];
            if (queueOffset < file.FirstOffset)
            {
                high = mid - 1;
            }
            else if (queueOffset >= file.EndOffset)
            {
                low = mid + 1;
            }
            else
            {
                return file;
            }
        }

        return null;
    }

    private ConsumeQueueFile AddFileFor(long queueOffset)
    {
        lock (_filesLock)
        {
            var files = _files;
            if (files.Length > 0 && queueOffset < files[0].FirstOffset)
            {
                // Only a replay of a topic recreated below its old start gets here: start the queue over.
                foreach (var old in files)
                {
                    old.RetireAndDelete();
                }

                files = [];
                Volatile.Write(ref _min, queueOffset);
                NextOffset = queueOffset;
            }

            if (files.Length == 0)
            {
                EnsureDirectory();
                Volatile.Write(ref _min, Math.Max(MinOffset, queueOffset));
            }

            var list = new List<ConsumeQueueFile>(files);
            var file = files.Length > 0 ? files[^1] : null;
            while (file is null || queueOffset >= file.EndOffset)
            {
                var first = file?.EndOffset ?? queueOffset - (queueOffset % _entriesPerFile);
                file = new ConsumeQueueFile(Path.Combine(_directory, first.ToString("D20", CultureInfo.InvariantCulture)), first, _entriesPerFile);
                list.Add(file);
            }

            // The new name must survive a crash before a checkpoint covers entries in it: Flush (run by the checkpoint)
            // syncs the directories. Not here: this runs on the writer thread, where an fsync stalls every append.
            Volatile.Write(ref _namesUnsynced, 1);

            Volatile.Write(ref _files, [.. list]);
            return file;
        }
    }

    private void EnsureDirectory()
    {
        if (_needsNameFile && !System.IO.Directory.Exists(_topicDirectory))
        {
            System.IO.Directory.CreateDirectory(_topicDirectory);
            var temp = Path.Combine(_topicDirectory, TopicNames.NameFile + ".tmp");
            File.WriteAllText(temp, Topic, Encoding.UTF8);
            File.Move(temp, Path.Combine(_topicDirectory, TopicNames.NameFile), overwrite: true);
        }

        if (!System.IO.Directory.Exists(_directory))
        {
            System.IO.Directory.CreateDirectory(_directory);
            Volatile.Write(ref _directoryUnsynced, 1);
        }
    }

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            if (System.IO.Directory.Exists(directory) && !System.IO.Directory.EnumerateFileSystemEntries(directory).Any(static e => !e.EndsWith(TopicNames.NameFile, StringComparison.Ordinal)))
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A reader still holds a file; the next open ignores empty or name-only directories.
        }
    }
}
