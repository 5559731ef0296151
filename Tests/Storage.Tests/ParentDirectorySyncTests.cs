using OrleansMq.Storage.ConsumeQueue;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

/// <summary>A checkpoint syncs the directories above new queues once, after the queues, and never loses that need on a failure.</summary>
public sealed class ParentDirectorySyncTests
{
    [Fact]
    public void Sync_DeletedTopicSkipped_AFailedSyncMarksEveryQueueThatDeferredToIt()
    {
        using var dir = new TempDirectory("mq-parents");
        Directory.CreateDirectory(dir.Combine("a"));
        var restored = 0;
        var synced = new ParentDirectorySync();
        synced.Add(dir.Combine("a"), () => restored++);
        synced.Add(dir.Combine("a"), () => restored++); // a second queue of the same topic
        synced.Add(dir.Combine("deleted"), () => restored++); // its topic was deleted meanwhile: nothing to sync

        synced.Sync();

        Assert.Equal(0, restored);
        var file = dir.Combine("not-a-directory");
        File.WriteAllText(file, "x");
        var failing = new ParentDirectorySync();
        failing.Add(dir.Combine("a"), () => restored++);
        failing.Add(Path.Combine(file, "topic"), () => restored++); // open() fails: ENOTDIR

        Assert.Throws<IOException>(failing.Sync);
        Assert.Equal(2, restored); // both queues sync their parents again at the next checkpoint
    }
}
