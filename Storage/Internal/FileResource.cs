namespace OrleansMq.Storage.Internal;

/// <summary>
/// A <see cref="ReferenceResource"/> backed by one file that can be retired and deleted: the file is renamed to
/// <c>*.deleted</c> at once (a new file of the same name may be created meanwhile, after a rewind or truncation)
/// and closed and deleted when the last holder releases it. Leftover <c>*.deleted</c> files (a crash while a
/// reader held one) are removed at the next open by <see cref="DeleteLeftovers"/>.
/// </summary>
internal abstract class FileResource(string path) : ReferenceResource
{
    public const string DeletedSuffix = ".deleted";

    private string? _deletePath;

    public string FilePath { get; } = path;

    /// <summary>Retires the file and deletes it once no holder is left.</summary>
    public void RetireAndDelete()
    {
        if (IsRetired)
        {
            return;
        }

        var target = FilePath + DeletedSuffix;
        try
        {
            File.Move(FilePath, target);
        }
        catch (IOException)
        {
            target = FilePath;
        }

        Volatile.Write(ref _deletePath, target);
        Retire();
    }

    /// <summary>Deletes <c>*.deleted</c> files left in <paramref name="directory"/>.</summary>
    public static void DeleteLeftovers(string directory)
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*" + DeletedSuffix))
        {
            File.Delete(file);
        }
    }

    /// <summary>Closes the handle or mapping. Runs once, must not throw.</summary>
    protected abstract void CloseFile();

    protected sealed override void OnFreed()
    {
        CloseFile();
        var path = Volatile.Read(ref _deletePath);
        if (path is not null)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // Left for DeleteLeftovers at the next open: deleting is reclaiming space, not a correctness step.
            }
        }
    }
}
