namespace OrleansMq.Storage.Retention;

/// <summary>Total and free bytes of the disk holding a directory. Replaceable in tests.</summary>
internal interface IDiskSpaceProbe
{
    DiskSpace Probe(string directory);
}

/// <summary>A disk space reading.</summary>
internal readonly record struct DiskSpace(long TotalBytes, long FreeBytes)
{
    public double UsedRatio => TotalBytes <= 0 ? 0 : (double)(TotalBytes - FreeBytes) / TotalBytes;
}
