namespace OrleansMq.Grains.Persistence;

/// <summary>Options of <see cref="FileGrainStorage"/>.</summary>
public sealed class FileGrainStorageOptions
{
    /// <summary>Directory holding one file per grain state. Required.</summary>
    public string Directory { get; set; } = "";
}
