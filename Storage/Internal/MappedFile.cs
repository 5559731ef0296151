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
internal abstract unsafe class MappedFile : ReferenceResource
{
    /// <summary>Suffix of a retired file waiting for its last holder.</summary>
    public const string DeletedSuffix = ".deleted";

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _pointer;
    private int _dirty;
    private int _deleteWhenFreed;
    private string? _deletedPath;

    protected MappedFile(string path, long capacity)
    {
        FilePath = path;
        Capacity = capacity;
        using (var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
        {
            if (stream.Length < capacity)
            {
                stream.SetLength(capacity);
            }
        }

        _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, capacity, MemoryMappedFileAccess.ReadWrite);
        _view = _map.CreateViewAccessor(0, capacity, MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + _view.PointerOffset;
    }

    /// <summary>Full path of the file.</summary>
    public string FilePath { get; }

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

    /// <summary>Deletes the file once it is retired and the last holder has released it.</summary>
    public void RetireAndDelete()
    {
        if (IsRetired)
        {
            return;
        }

        // Rename first: a reader may hold the file for a while, and a new file of the same name may be created
        // meanwhile (rewind, truncation). The next open deletes leftover *.deleted files.
        try
        {
            File.Move(FilePath, FilePath + DeletedSuffix);
            _deletedPath = FilePath + DeletedSuffix;
        }
        catch (IOException)
        {
            _deletedPath = FilePath;
        }

        Volatile.Write(ref _deleteWhenFreed, 1);
        Retire();
    }

    protected override void OnFreed()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
        if (Volatile.Read(ref _deleteWhenFreed) != 0)
        {
            try
            {
                File.Delete(_deletedPath ?? FilePath);
            }
            catch (IOException)
            {
                // Left for the next open to clean up; deleting is an optimization, not a correctness step.
            }
        }
    }
}
