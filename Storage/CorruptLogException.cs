namespace OrleansMq.Storage;

/// <summary>A commit log record before the tail is corrupt; the store refuses to open rather than lose data silently.</summary>
public sealed class CorruptLogException : IOException
{
    /// <summary>Creates the exception.</summary>
    public CorruptLogException(string file, long offset, string reason)
        : base($"Corrupt commit log record in '{file}' at log offset {offset}: {reason}. The store was not opened; repair or move the file.")
    {
        File = file;
        Offset = offset;
    }

    /// <summary>The segment file.</summary>
    public string File { get; }

    /// <summary>The log offset of the bad record.</summary>
    public long Offset { get; }
}
