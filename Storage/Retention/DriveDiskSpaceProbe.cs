namespace OrleansMq.Storage.Retention;

/// <summary>Reads the disk through <see cref="DriveInfo"/> (statvfs on Linux); free means available to this user.</summary>
internal sealed class DriveDiskSpaceProbe : IDiskSpaceProbe
{
    public static readonly DriveDiskSpaceProbe Instance = new();

    public DiskSpace Probe(string directory)
    {
        var drive = new DriveInfo(Path.GetFullPath(directory));
        return new DiskSpace(drive.TotalSize, drive.AvailableFreeSpace);
    }
}
