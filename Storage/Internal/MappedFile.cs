using System.IO.MemoryMappedFiles;

namespace OrleansMq.Storage.Internal;

/// <summary>
/// A memory-mapped fixed-size file (consume queue and index files). Writers store through the mapping; a
/// checkpoint calls <see cref="Flush"/> (msync) before it records the data as durable.
/// </summary>
/// <remarks>
/// Thread-safety: accessing <see cref="GetSpan"/> requires a hold (<see cref="ReferenceResource.TryAcquire"/>) or
/// being the owner; the mapping is unmapped only when the last hold is released, so a retired file can never be
/// unmapped under a reader. The file is created sparse, so unused capacity costs no disk space.
/// </remarks>
internal abstract unsafe class MappedFile : FileResource
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _pointer;
    private int _dirty;

    protected MappedFile(string path, long capacity)
        : base(path)
    {
        Capacity = capacity;
        using (var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
        {
            if (stream.Length < capacity)
            {
                // msync later makes the pages durable but not the file size: sync the new size once, here.
                stream.SetLength(capacity);
                stream.Flush(flushToDisk: true);
            }
        }

        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, capacity, MemoryMappedFileAccess.ReadWrite);
        _view = _map.CreateViewAccessor(0, capacity, MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + _view.PointerOffset;
    }

    /// <summary>Mapped size in bytes.</summary>
    public long Capacity { get; }

    /// <summary>A span over part of the mapping. The caller holds the file.</summary>
    public Span<byte> GetSpan(long offset, int length) => new(_pointer + offset, length);

    /// <summary>Notes that the mapping has changes not yet flushed.</summary>
    public void MarkDirty() => Volatile.Write(ref _dirty, 1);

    /// <summary>msync: makes the stored bytes durable. Safe to call concurrently with writers.</summary>
    public void Flush()
    {
        if (Interlocked.Exchange(ref _dirty, 0) == 0 || !TryAcquire())
        {
            return;
        }

        try
        {
            _view.Flush();
        }
        catch
        {
            MarkDirty();
            throw;
        }
        finally
        {
            Release();
        }
    }

    protected override void CloseFile()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
