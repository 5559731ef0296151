using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OrleansMq.Storage.Internal;

/// <summary>
/// The few POSIX calls .NET does not expose: <c>fdatasync</c> (flush data without the inode timestamps, which
/// is what makes a preallocated segment cheap to sync), <c>fsync</c> of a directory (makes a new or deleted
/// file name durable), <c>posix_fadvise</c>, <c>sync_file_range</c>, <c>lseek(SEEK_DATA)</c> and <c>fallocate</c>. Elsewhere the portable
/// fallbacks are used.
/// </summary>
internal static partial class NativeMethods
{
    private const int ORdOnly = 0;
    private const int PosixFadvDontNeed = 4;
    private const uint SyncFileRangeWaitBefore = 1;
    private const uint SyncFileRangeWrite = 2;
    private const uint SyncFileRangeWaitAfter = 4;

    /// <summary>Bytes a paced write-back hands the disk at once (~3 ms of this machine's disk).</summary>
    private const long PacedChunk = 1L << 20;
    private const int FallocKeepSize = 1;
    private const int FallocPunchHole = 2;
    private const int SeekData = 3;
    private const int Enxio = 6;
    private const int Enoent = 2;

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
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="IOException">It could not be opened or synced.</exception>
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
            var message = $"open('{directory}') for fsync failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
            throw errno == Enoent ? new DirectoryNotFoundException(message) : new IOException(message, errno);
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
    /// Writes a range back 1 MiB at a time, waiting for each chunk (<c>sync_file_range</c> with both waits) and then
    /// pausing as long as the chunk took, so a checkpoint's tens of MiB reach the disk between the log's group-commit
    /// syncs instead of queueing ahead of them (one fdatasync of 50 MiB of queue entries stalled the log's syncs for
    /// 30-55 ms). Best effort, a no-op off Linux: durability comes from the fdatasync that follows. Blocks; for the
    /// checkpoint thread only.
    /// </summary>
    public static void WriteBackPaced(SafeFileHandle handle, long offset, long length)
    {
        if (!UseLibc)
        {
            return;
        }

        using var descriptor = new Descriptor(handle);
        var end = offset + length;
        for (var at = offset & ~4095L; at < end; at += PacedChunk)
        {
            var started = Stopwatch.GetTimestamp();
            if (sync_file_range(descriptor.Fd, at, Math.Min(PacedChunk, end - at), SyncFileRangeWaitBefore | SyncFileRangeWrite | SyncFileRangeWaitAfter) != 0)
            {
                return;
            }

            var took = Stopwatch.GetElapsedTime(started);
            if (took >= TimeSpan.FromMilliseconds(0.5))
            {
                Thread.Sleep(took);
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="length"/> bytes from <paramref name="offset"/> read as zeros without changing the file's
    /// size. On Linux: nothing when <c>lseek(SEEK_DATA)</c> finds no data there (the common case, erasing past the
    /// end of what was written), else <c>fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)</c>, which also gives
    /// the blocks back. Elsewhere, or where holes cannot be punched, zeros are written.
    /// </summary>
    /// <returns>True when the file changed (and needs a sync to make the erasure durable).</returns>
    /// <exception cref="IOException">Writing the zeros failed.</exception>
    public static bool ZeroRange(SafeFileHandle handle, long offset, long length)
    {
        if (length <= 0)
        {
            return false;
        }

        if (UseLibc)
        {
            using var descriptor = new Descriptor(handle);
            var data = lseek(descriptor.Fd, offset, SeekData);
            if (data < 0 ? Marshal.GetLastPInvokeError() == Enxio : data >= offset + length)
            {
                return false;
            }

            if (fallocate(descriptor.Fd, FallocPunchHole | FallocKeepSize, offset, length) == 0)
            {
                return true;
            }
        }

        var end = Math.Min(offset + length, RandomAccess.GetLength(handle));
        ReadOnlySpan<byte> zeros = new byte[(int)Math.Clamp(end - offset, 0, 64 * 1024)];
        for (var position = offset; position < end; position += zeros.Length)
        {
            RandomAccess.Write(handle, zeros[..(int)Math.Min(zeros.Length, end - position)], position);
        }

        return end > offset;
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

    [LibraryImport("libc", SetLastError = true)]
    private static partial long lseek(int fd, long offset, int whence);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fallocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc")]
    private static partial int sync_file_range(int fd, long offset, long length, uint flags);

    [LibraryImport("libc")]
    private static partial int posix_fadvise(int fd, long offset, long length, int advice);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
