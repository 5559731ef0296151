using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage;

/// <summary>Atomic, durable replacement of small files (metadata, grain state, offsets).</summary>
/// <remarks>
/// A crash leaves either the old or the new content, never a torn file: the bytes go to a temp file in the same
/// directory, which is flushed to disk, renamed over the target, and then the directory itself is flushed so the
/// rename survives a power loss. Thread-safe for distinct paths.
/// </remarks>
public static class DurableFile
{
    /// <summary>Replaces <paramref name="path"/> with <paramref name="bytes"/> atomically and durably.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        NativeMethods.FlushDirectory(directory);
    }

    /// <summary>Makes creations, renames and deletions in <paramref name="directory"/> durable (a no-op where unsupported).</summary>
    public static void FlushDirectory(string directory) => NativeMethods.FlushDirectory(directory);
}
