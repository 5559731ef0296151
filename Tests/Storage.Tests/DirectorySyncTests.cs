using OrleansMq.Storage.Internal;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

/// <summary>Syncing a directory's names (<see cref="NativeMethods.FlushDirectory"/>).</summary>
public sealed class DirectorySyncTests
{
    [Fact]
    public void FlushDirectory_Missing_IsDirectoryNotFound_SoADeletedTopicIsSkipped_OtherFailuresStayIOErrors()
    {
        // The checkpoint skips a directory whose topic was deleted meanwhile by catching DirectoryNotFoundException;
        // ENOENT used to come as a plain IOException, which failed that checkpoint instead.
        using var dir = new TempDirectory("mq-dirsync");
        var file = dir.Combine("not-a-directory");
        File.WriteAllText(file, "x");

        NativeMethods.FlushDirectory(dir.Path);
        Assert.Throws<DirectoryNotFoundException>(() => NativeMethods.FlushDirectory(dir.Combine("deleted")));
        var notADirectory = Assert.Throws<IOException>(() => NativeMethods.FlushDirectory(Path.Combine(file, "topic")));
        Assert.IsNotType<DirectoryNotFoundException>(notADirectory);
    }
}
