using Microsoft.Win32.SafeHandles;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.CommitLog;

/// <summary>One commit log segment file, named by its 20-digit start offset and preallocated to its capacity.</summary>
/// <remarks>
/// Reads use positional <c>pread</c> (<see cref="RandomAccess"/>) into the caller's buffer, so they hit the page
/// cache and are safe next to the writer's <c>pwrite</c>s. Readers hold the segment while reading; retention
/// retires it and the file is closed and deleted only after the last holder releases it.
/// </remarks>
internal sealed class Segment : FileResource
{
    private readonly SafeFileHandle _handle;

    private Segment(string path, long start, long capacity, SafeFileHandle handle)
        : base(path)
    {
        Start = start;
        Capacity = capacity;
        _handle = handle;
    }

    public long Start { get; }

    /// <summary>Bytes the segment holds when full (the file's preallocated size).</summary>
    public long Capacity { get; }

    public long End => Start + Capacity;

    /// <summary>Creates and preallocates a new segment file (fallocate on Linux), so later fdatasyncs need not update the file size.</summary>
    /// <exception cref="IOException">Creation or preallocation failed (for example ENOSPC).</exception>
    public static Segment Create(string path, long start, long capacity)
    {
        SafeFileHandle? handle = null;
        try
        {
            handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, FileOptions.None, capacity);
            if (RandomAccess.GetLength(handle) < capacity)
            {
                RandomAccess.SetLength(handle, capacity);
            }

            NativeMethods.FlushData(handle);
            NativeMethods.FlushDirectory(Path.GetDirectoryName(path)!);
            return new Segment(path, start, capacity, handle);
        }
        catch
        {
            handle?.Dispose();
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }

            throw;
        }
    }

    /// <summary>Opens an existing segment; extends a short file (truncated tail) back to <paramref name="capacity"/>.</summary>
    public static Segment Open(string path, long start, long capacity)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            if (RandomAccess.GetLength(handle) < capacity)
            {
                RandomAccess.SetLength(handle, capacity);
            }

            return new Segment(path, start, capacity, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads at log offset <paramref name="logOffset"/>; returns the bytes read (short at the end of the file).</summary>
    public int Read(long logOffset, Span<byte> destination)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var read = RandomAccess.Read(_handle, destination[total..], logOffset - Start + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    public void Write(long logOffset, ReadOnlySpan<byte> source) => RandomAccess.Write(_handle, source, logOffset - Start);

    public void FlushData() => NativeMethods.FlushData(_handle);

    /// <summary>Starts writeback of a written range without waiting (see <see cref="NativeMethods.StartWriteback"/>).</summary>
    public void StartWriteback(long logOffset, long length) => NativeMethods.StartWriteback(_handle, logOffset - Start, length);

    /// <summary>Drops the cached pages of a durable range from the OS page cache (see <see cref="PageCacheTrimmer"/>); returns 0 or an errno.</summary>
    public int DropCache(long logOffset, long length) => NativeMethods.DropCache(_handle, logOffset - Start, length);

    protected override void CloseFile() => _handle.Dispose();
}
