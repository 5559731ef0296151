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
    private int _sizeUnsynced;

    protected MappedFile(string path, long capacity)
        : base(path)
    {
        Capacity = capacity;
        using (var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
        {
            if (stream.Length < capacity)
            {
                // msync makes the pages durable but not the file size: the next Flush syncs the new size once. Not
                // here: files are created on the writer thread, where an fsync per new queue stalls every append.
                stream.SetLength(capacity);
                _sizeUnsynced = 1;
            }
        }

        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, capacity, MemoryMappedFileAccess.ReadWrite);
        _view = _map.CreateViewAccessor(0, capacity, MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        NativeMethods.AdviseRandomAccess(pointer, capacity + _view.PointerOffset);
        _pointer = pointer + _view.PointerOffset;
    }

    /// <summary>Mapped size in bytes.</summary>
    public long Capacity { get; }

    /// <summary>A span over part of the mapping. The caller holds the file.</summary>
    public Span<byte> GetSpan(long offset, int length) => new(_pointer + offset, length);

    /// <summary>
    /// Asks the CPU to bring the cache line at <paramref name="offset"/> in (a hint: never faults, may be dropped). The
    /// caller holds the file.
    /// </summary>
    public void Prefetch(long offset)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(_pointer + offset);
        }
    }

    /// <summary>Notes that the mapping has changes not yet flushed.</summary>
    public void MarkDirty() => Volatile.Write(ref _dirty, 1);

    /// <summary>
    /// msync, and fsync once after the file was created or grown: makes the stored bytes durable. Safe to call
    /// concurrently with writers.
    /// </summary>
    public void Flush()
    {
        var dirty = Interlocked.Exchange(ref _dirty, 0) != 0;
        var sizeUnsynced = Interlocked.Exchange(ref _sizeUnsynced, 0) != 0;
        if (!(dirty || sizeUnsynced) || !TryAcquire())
        {
            return;
        }

        try
        {
            if (dirty)
            {
                _view.Flush();
            }

            if (sizeUnsynced)
            {
                try
                {
                    using var handle = File.OpenHandle(FilePath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                    RandomAccess.FlushToDisk(handle);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    // Deleted meanwhile (retention, topic deletion): nothing left to make durable.
                }
            }
        }
        catch
        {
            if (dirty)
            {
                MarkDirty();
            }

            if (sizeUnsynced)
            {
                Volatile.Write(ref _sizeUnsynced, 1);
            }

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
