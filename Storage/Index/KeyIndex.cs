using System.Globalization;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.Index;

/// <summary>What an index entry was made from: a user key (KEYS) or the client unique key (UNIQ_KEY).</summary>
internal enum IndexKind : byte
{
    Key = 1,
    UniqueKey = 2,
}

/// <summary>The set of <see cref="IndexFile"/>s: user keys and unique keys of every topic, newest file last.</summary>
/// <remarks>
/// Written by the dispatching thread; queried concurrently. A key's hash is CRC-32C over
/// (kind, topic length, topic, key) so equal keys of different topics or kinds rarely share chains; hits are
/// verified against the record by <see cref="MessageStore"/>. Scales by rolling to a new file when one is full:
/// memory is the newest file's slot table and a block of its newest entries, never all keys.
/// </remarks>
internal sealed class KeyIndex
{
    private readonly Lock _lock = new();
    private readonly string _directory;
    private readonly int _entriesPerFile;
    private IndexFile[] _files = [];
    private int _namesUnsynced;

    public KeyIndex(string directory, int entriesPerFile)
    {
        _directory = directory;
        _entriesPerFile = entriesPerFile;
        System.IO.Directory.CreateDirectory(directory);
    }

    public int FileCount => Volatile.Read(ref _files).Length;

    public void Load()
    {
        FileResource.DeleteLeftovers(_directory);
        var files = new List<IndexFile>();
        foreach (var path in System.IO.Directory.EnumerateFiles(_directory))
        {
            var name = Path.GetFileName(path);
            if (name.Length == 20 && long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var first))
            {
                try
                {
                    files.Add(new IndexFile(path, first, SlotsFor(_entriesPerFile), _entriesPerFile));
                }
                catch (InvalidDataException)
                {
                    // An index file torn at creation: indexes are rebuildable hints, drop it.
                    File.Delete(path);
                }
            }
        }

        files.Sort(static (a, b) => a.FirstLogOffset.CompareTo(b.FirstLogOffset));
        _files = [.. files];
    }

    public static int Hash(IndexKind kind, ReadOnlySpan<byte> topic, ReadOnlySpan<byte> key)
    {
        Span<byte> prefix = [(byte)kind, (byte)topic.Length];
        var state = Crc32C.Append(Crc32C.Seed, prefix);
        state = Crc32C.Append(state, topic);
        return (int)~Crc32C.Append(state, key);
    }

    /// <summary>Adds one key of the record at <paramref name="logOffset"/> (single writer).</summary>
    public void Put(IndexKind kind, ReadOnlySpan<byte> topic, ReadOnlySpan<byte> key, long logOffset, long storeTimestamp)
    {
        var hash = Hash(kind, topic, key);
        var files = Volatile.Read(ref _files);
        if (files.Length == 0 || !files[^1].Put(hash, logOffset, storeTimestamp))
        {
            AddFile(logOffset).Put(hash, logOffset, storeTimestamp);
        }
    }

    /// <summary>Prefetches the hash slot that <see cref="Put"/> of this key will touch in the newest file (single writer).</summary>
    public void Prefetch(IndexKind kind, ReadOnlySpan<byte> topic, ReadOnlySpan<byte> key)
    {
        var files = Volatile.Read(ref _files);
        if (files.Length > 0)
        {
            files[^1].PrefetchSlot(Hash(kind, topic, key));
        }
    }

    /// <summary>Candidate log offsets for a key, newest file first (unverified, may repeat).</summary>
    public List<long> Find(IndexKind kind, ReadOnlySpan<byte> topic, ReadOnlySpan<byte> key, long beginTimestamp, long endTimestamp, int max)
    {
        var hash = Hash(kind, topic, key);
        var result = new List<long>();
        var files = Volatile.Read(ref _files);
        for (var i = files.Length - 1; i >= 0 && result.Count < max; i--)
        {
            var file = files[i];
            if (!file.TryAcquire())
            {
                continue;
            }

            try
            {
                if (file.EntryCount > 0 && file.EndTimestamp + 1000 >= beginTimestamp && file.BeginTimestamp - 1000 <= endTimestamp)
                {
                    file.Find(hash, beginTimestamp, endTimestamp, result, max);
                }
            }
            finally
            {
                file.Release();
            }
        }

        return result;
    }

    /// <summary>Makes every file's entries durable, then the directory's new names (the checkpoint).</summary>
    /// <param name="paced">Write each file back chunk by chunk before its sync (the checkpoint thread).</param>
    public void Flush(bool paced = false)
    {
        foreach (var file in Volatile.Read(ref _files))
        {
            file.Flush(paced);
        }

        SyncFlag.SyncIfSet(ref _namesUnsynced, _directory, NativeMethods.FlushDirectory);
    }

    /// <summary>Deletes files whose entries all point below <paramref name="minLogOffset"/> (never the newest).</summary>
    public void DeleteBelow(long minLogOffset)
    {
        lock (_lock)
        {
            var files = _files;
            var drop = 0;
            while (drop < files.Length - 1 && files[drop].EndLogOffset < minLogOffset)
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

    public long FileBytes()
    {
        long total = 0;
        foreach (var file in Volatile.Read(ref _files))
        {
            total += file.Capacity;
        }

        return total;
    }

    public void Close()
    {
        lock (_lock)
        {
            foreach (var file in _files)
            {
                file.Retire();
            }

            _files = [];
        }
    }

    private static int SlotsFor(int entries) => Math.Max(16, entries / 4);

    private IndexFile AddFile(long firstLogOffset)
    {
        lock (_lock)
        {
            // Names only order the files; after a rewind the log offset may repeat, so keep names increasing.
            var first = _files.Length == 0 ? firstLogOffset : Math.Max(firstLogOffset, _files[^1].FirstLogOffset + 1);
            var path = Path.Combine(_directory, first.ToString("D20", CultureInfo.InvariantCulture));
            if (File.Exists(path))
            {
                File.Delete(path); // Left over from a previous run and not loaded: stale hints.
            }

            var file = new IndexFile(path, first, SlotsFor(_entriesPerFile), _entriesPerFile);

            // The name must be durable before a checkpoint counts entries in it: Flush (run by the checkpoint) syncs the
            // directory. Not here: this runs on the writer thread, where an fsync stalls every append.
            Volatile.Write(ref _namesUnsynced, 1);
            Volatile.Write(ref _files, [.. _files, file]);
            return file;
        }
    }
}
