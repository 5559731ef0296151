using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OrleansMq.Storage.Internal;

/// <summary>
/// The few POSIX calls .NET does not expose: <c>fdatasync</c> (flush data without the inode timestamps, which
/// is what makes a preallocated segment cheap to sync), <c>fsync</c> of a directory (makes a new or deleted
/// file name durable), <c>madvise</c>, <c>posix_fadvise</c> and <c>sync_file_range</c>. Elsewhere the portable
/// fallbacks are used.
/// </summary>
internal static partial class NativeMethods
{
    private const int ORdOnly = 0;
    private const int MadvRandom = 1;
    private const int PosixFadvDontNeed = 4;
    private const uint SyncFileRangeWrite = 2;

    private static readonly bool UseLibc = OperatingSystem.IsLinux();

    /// <summary>Makes every written byte of <paramref name="handle"/> durable.</summary>
    /// <exception cref="IOException">The device reported an error (EIO, ENOSPC, ...).</exception>
    public static void FlushData(SafeFileHandle handle)
    {
        if (!UseLibc)
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        using var descriptor = new Descriptor(handle);
        if (fdatasync(descriptor.Fd) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"fdatasync failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }
    }

    /// <summary>Makes the names in <paramref name="directory"/> durable (best effort off Linux).</summary>
    public static void FlushDirectory(string directory)
    {
        if (!UseLibc)
        {
            return;
        }

        var fd = open(directory, ORdOnly);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"open('{directory}') for fsync failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }

        try
        {
            if (fsync(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"fsync('{directory}') failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>
    /// <c>madvise(MADV_RANDOM)</c>: a page fault on the mapping reads just its page. Without it the kernel reads ahead
    /// around every fault, and in a sparse, freshly extended file that means zeroing a large folio per first touch:
    /// with 1,000 new consume queues that kernel memset took a third of the broker's CPU and stalled appends for
    /// seconds (the writer thread dispatches). Best effort: a failure only costs that readahead.
    /// </summary>
    /// <param name="address">Page-aligned start of the mapping.</param>
    /// <param name="length">Bytes mapped.</param>
    public static unsafe void AdviseRandomAccess(byte* address, long length)
    {
        if (UseLibc)
        {
            _ = madvise(address, (nuint)length, MadvRandom);
        }
    }

    /// <summary>
    /// <c>posix_fadvise(POSIX_FADV_DONTNEED)</c>: drops the clean cached pages of a file range, so the kernel can give the
    /// same pages to the next writes. Best effort (a no-op off Linux); dirty pages are only scheduled for writeback.
    /// </summary>
    /// <returns>0, or the error number.</returns>
    public static int DropCache(SafeFileHandle handle, long offset, long length)
    {
        if (!UseLibc)
        {
            return 0;
        }

        using var descriptor = new Descriptor(handle);
        return posix_fadvise(descriptor.Fd, offset, length, PosixFadvDontNeed);
    }

    /// <summary>
    /// <c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>: starts writeback of a written range without waiting for it, so the
    /// disk is already writing while the group commit waits; the fdatasync that follows then has less left to do. Best
    /// effort (a no-op off Linux): durability still comes from that fdatasync.
    /// </summary>
    public static void StartWriteback(SafeFileHandle handle, long offset, long length)
    {
        if (!UseLibc)
        {
            return;
        }

        using var descriptor = new Descriptor(handle);
        _ = sync_file_range(descriptor.Fd, offset, length, SyncFileRangeWrite);
    }

    /// <summary>
    /// A file handle's descriptor held for one call: the reference keeps a concurrent <c>Dispose</c> of the handle from
    /// closing the descriptor (and the number being reused for another file) while the call runs.
    /// </summary>
    private readonly ref struct Descriptor
    {
        private readonly SafeFileHandle _handle;

        /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
        public Descriptor(SafeFileHandle handle)
        {
            var added = false;
            handle.DangerousAddRef(ref added);
            _handle = handle;
            Fd = (int)handle.DangerousGetHandle();
        }

        public int Fd { get; }

        public void Dispose() => _handle.DangerousRelease();
    }

    [LibraryImport("libc")]
    private static partial int sync_file_range(int fd, long offset, long length, uint flags);

    [LibraryImport("libc")]
    private static partial int posix_fadvise(int fd, long offset, long length, int advice);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int madvise(byte* address, nuint length, int advice);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
