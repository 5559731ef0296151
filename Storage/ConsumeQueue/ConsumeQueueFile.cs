using Microsoft.Win32.SafeHandles;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.ConsumeQueue;

/// <summary>One consume queue segment: <see cref="EntryCount"/> entries starting at queue offset <see cref="FirstOffset"/>.</summary>
/// <remarks>
/// Named by its first queue offset as 20 digits; sparse, so unused capacity costs no disk space. The newest entries
/// are in memory until persisted (<see cref="EntryRegion"/>). Thread-safety: one writer; readers and
/// <see cref="Flush"/> hold the file (<see cref="ReferenceResource.TryAcquire"/>) while they use it.
/// </remarks>
internal sealed class ConsumeQueueFile : FileResource
{
    /// <summary>Largest write-back block: ~800 entries per <c>pwrite</c>, at most 16 KiB of memory per busy queue.</summary>
    public const int MaxBlockBytes = 16 * 1024;

    private const int ReadChunk = 128;

    private readonly SafeFileHandle _handle;
    private readonly EntryRegion _entries;

    public ConsumeQueueFile(string path, long firstOffset, int entryCount)
        : base(path)
    {
        FirstOffset = firstOffset;
        EntryCount = entryCount;
        _handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            _entries = new EntryRegion(_handle, 0, ConsumeQueueEntry.Size, entryCount, MaxBlockBytes);
            if (RandomAccess.GetLength(_handle) < Capacity)
            {
                // The size is made durable by the next Flush (fdatasync covers it). Not here: files are created on the
                // writer thread, where a sync per new queue stalls every append.
                RandomAccess.SetLength(_handle, Capacity);
                _entries.MarkUnsynced();
            }
        }
        catch
        {
            _handle.Dispose();
            throw;
        }
    }

    public long FirstOffset { get; }

    public int EntryCount { get; }

    /// <summary>One past the last queue offset this file can hold.</summary>
    public long EndOffset => FirstOffset + EntryCount;

    /// <summary>File size in bytes.</summary>
    public long Capacity => (long)EntryCount * ConsumeQueueEntry.Size;

    /// <summary>Bytes of entries held in memory.</summary>
    public int BufferedBytes => _entries.BufferedBytes;

    /// <summary>Reads one entry (empty when never written). The caller holds the file.</summary>
    public ConsumeQueueEntry Read(long queueOffset)
    {
        Span<byte> bytes = stackalloc byte[ConsumeQueueEntry.Size];
        _entries.Read(queueOffset - FirstOffset, bytes);
        return new ConsumeQueueEntry(bytes);
    }

    /// <summary>Reads consecutive entries from <paramref name="queueOffset"/>, up to the end of the file; returns how many. The caller holds the file.</summary>
    public int Read(long queueOffset, Span<ConsumeQueueEntry> destination)
    {
        var count = (int)Math.Min(destination.Length, EndOffset - queueOffset);
        Span<byte> bytes = stackalloc byte[ReadChunk * ConsumeQueueEntry.Size];
        for (var done = 0; done < count;)
        {
            var take = Math.Min(ReadChunk, count - done);
            var chunk = bytes[..(take * ConsumeQueueEntry.Size)];
            _entries.Read(queueOffset - FirstOffset + done, chunk);
            for (var i = 0; i < take; i++)
            {
                destination[done + i] = new ConsumeQueueEntry(chunk[(i * ConsumeQueueEntry.Size)..]);
            }

            done += take;
        }

        return count;
    }

    /// <summary>Stores an entry (single writer).</summary>
    public void Write(long queueOffset, in ConsumeQueueEntry entry)
    {
        Span<byte> bytes = stackalloc byte[ConsumeQueueEntry.Size];
        entry.WriteTo(bytes);
        _entries.Write(queueOffset - FirstOffset, bytes);
    }

    /// <summary>Erases the entries from <paramref name="queueOffset"/> to the end of the file (single writer).</summary>
    public void TruncateFrom(long queueOffset) => _entries.Truncate(Math.Max(0, queueOffset - FirstOffset));

    /// <summary>The first queue offset holding an entry, or -1 when the file has none (opening a queue).</summary>
    public long FirstWritten()
    {
        var index = _entries.FindFirstWritten(0);
        return index < 0 ? -1 : FirstOffset + index;
    }

    /// <summary>Writes the entries held in memory and writes them back (<see cref="EntryRegion.WriteBack"/>). Safe beside the writer.</summary>
    /// <exception cref="IOException">The write failed; the next flush retries.</exception>
    public void WriteBack(bool paced)
    {
        if (!TryAcquire())
        {
            return;
        }

        try
        {
            if (_entries.Persist())
            {
                _entries.WriteBack(paced);
            }
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Writes the entries held in memory and fdatasyncs them (the checkpoint). Safe beside the writer.</summary>
    /// <exception cref="IOException">The write or the sync failed; the next flush retries.</exception>
    public void Flush()
    {
        if (!TryAcquire())
        {
            return;
        }

        try
        {
            if (_entries.Persist())
            {
                _entries.Sync();
            }
        }
        finally
        {
            Release();
        }
    }

    protected override void CloseFile() => _handle.Dispose();
}
