using Microsoft.Extensions.Logging;
using OrleansMq.Storage.Diagnostics;

namespace OrleansMq.Storage.Retention;

/// <summary>
/// Tracks free disk space: below <c>MinFreeDiskBytes</c> the store is "full" and appends are rejected with
/// <see cref="AppendStatus.DiskFull"/> (nothing written, no exception) until a later check finds space again.
/// </summary>
/// <remarks>Thread-safe. <see cref="IsFull"/> is a volatile read on the append path; probing happens on the retention timer and before a new segment is allocated.</remarks>
internal sealed class DiskMonitor(IDiskSpaceProbe probe, string directory, long minFreeBytes, ILogger logger)
{
    private const int ENOSPC = 28;
    private const int EDQUOT = 122;
    private volatile bool _full;
    private DiskSpace _last;

    public bool IsFull => _full;

    public DiskSpace Last => _last;

    /// <summary>Reads the disk and updates <see cref="IsFull"/>.</summary>
    public DiskSpace Check()
    {
        var space = probe.Probe(directory);
        _last = space;
        var full = space.FreeBytes < minFreeBytes;
        if (full != _full)
        {
            if (full)
            {
                logger.DiskFull(space.FreeBytes, minFreeBytes);
            }
            else
            {
                logger.DiskSpaceRecovered(space.FreeBytes);
            }

            _full = full;
        }

        return space;
    }

    /// <summary>True when <paramref name="bytes"/> more can be allocated without going below the threshold.</summary>
    public bool CanAllocate(long bytes)
    {
        var space = Check();
        if (space.FreeBytes - bytes < minFreeBytes)
        {
            if (!_full)
            {
                logger.DiskFull(space.FreeBytes - bytes, minFreeBytes);
            }

            _full = true;
            return false;
        }

        return true;
    }

    /// <summary>True when <paramref name="bytes"/> more fit above the threshold; unlike <see cref="CanAllocate"/> it never marks the disk full.</summary>
    public bool HasRoomFor(long bytes) => Check().FreeBytes - bytes >= minFreeBytes;

    /// <summary>True for ENOSPC/EDQUOT (and Windows' disk-full HRESULTs).</summary>
    public static bool IsOutOfSpace(IOException exception)
        => exception.HResult is ENOSPC or EDQUOT or unchecked((int)0x80070070) or unchecked((int)0x80070027)
            || (exception.HResult & 0xFFFF) is ENOSPC or EDQUOT;
}
