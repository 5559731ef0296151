using OrleansMq.Storage.Flush;
using OrleansMq.Storage.Internal;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

public sealed class FaultTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task AppendAsync_WriteFails_IoErrorThenConsistentTailAndOffsetsReused(int failures)
    {
        using var dir = new TempDirectory("faults");
        var hooks = new StoreTestHooks();
        var options = StoreHarness.Options(dir.Path);
        await using (var store = await StoreHarness.OpenAsync(options, hooks))
        {
            Assert.Equal(AppendStatus.Ok, (await store.AppendAsync("io", 0, StoreHarness.One("good-0"))).Status);
            var remaining = failures;
            hooks.BeforeWrite = (_, _) =>
            {
                if (Interlocked.Decrement(ref remaining) >= 0)
                {
                    throw new IOException("injected EIO");
                }
            };

            var failed = await store.AppendAsync("io", 0, StoreHarness.Many(3, "lost"));
            Assert.Equal(AppendStatus.IoError, failed.Status);
            Assert.All(failed.Messages, m => Assert.Equal(AppendStatus.IoError, m.Status));
            AppendResult next;
            do
            {
                next = await store.AppendAsync("io", 0, StoreHarness.One("good-1"));
            }
            while (next.Status == AppendStatus.IoError && Volatile.Read(ref remaining) >= 0);

            Assert.Equal(AppendStatus.Ok, next.Status);
            Assert.Equal(1, next.Messages[0].QueueOffset);
            Assert.Equal(["good-0", "good-1"], StoreHarness.ReadAll(store, "io", 0).Select(r => r.Body));
        }

        await using var reopened = await StoreHarness.OpenAsync(options);
        Assert.Equal(["good-0", "good-1"], StoreHarness.ReadAll(reopened, "io", 0).Select(r => r.Body));
    }

    [Fact]
    public async Task AppendAsync_DispatchFailsMidBatch_GroupUndoneAndQueueConsistent()
    {
        using var dir = new TempDirectory("faults");
        var hooks = new StoreTestHooks();
        var options = StoreHarness.Options(dir.Path);
        await using (var store = await StoreHarness.OpenAsync(options, hooks))
        {
            Assert.Equal(AppendStatus.Ok, (await store.AppendAsync("dispatch", 0, StoreHarness.One("good-0"))).Status);
            var seen = 0;
            hooks.BeforeDispatch = _ =>
            {
                if (++seen == 2)
                {
                    throw new IOException("injected: consume queue file could not be mapped");
                }
            };

            var failed = await store.AppendAsync("dispatch", 0, StoreHarness.Many(3, "lost"));
            hooks.BeforeDispatch = null;

            Assert.Equal(AppendStatus.IoError, failed.Status);
            Assert.Equal(new QueueRange(0, 1), store.GetQueueRange("dispatch", 0));
            var next = await store.AppendAsync("dispatch", 0, StoreHarness.One("good-1"));
            Assert.Equal(1, next.Messages[0].QueueOffset);
            Assert.Equal(["good-0", "good-1"], StoreHarness.ReadAll(store, "dispatch", 0).Select(r => r.Body));
        }

        await using var reopened = await StoreHarness.OpenAsync(options);
        Assert.Equal(["good-0", "good-1"], StoreHarness.ReadAll(reopened, "dispatch", 0).Select(r => r.Body));
    }

    [Fact]
    public async Task AppendAsync_SyncFlushFails_IoErrorRewindsAndNothingResurrectsOnReopen()
    {
        using var dir = new TempDirectory("faults");
        var hooks = new StoreTestHooks();
        var options = StoreHarness.Options(dir.Path);
        await using (var store = await StoreHarness.OpenAsync(options, hooks))
        {
            Assert.Equal(AppendStatus.Ok, (await store.AppendAsync("fsync", 0, StoreHarness.One("good-0"))).Status);
            var remaining = 1;
            hooks.BeforeFlush = () =>
            {
                if (Interlocked.Decrement(ref remaining) >= 0)
                {
                    throw new IOException("injected fdatasync EIO");
                }
            };

            var failed = await Wait.ForAsync(store.AppendAsync("fsync", 0, StoreHarness.Many(2, "lost")).AsTask(), "the failed flush answer");
            Assert.Equal(AppendStatus.IoError, failed.Status);

            var next = await Wait.ForAsync(store.AppendAsync("fsync", 0, StoreHarness.One("good-1")).AsTask(), "an append after the rewind");
            Assert.Equal(AppendStatus.Ok, next.Status);
            Assert.Equal(1, next.Messages[0].QueueOffset);
            Assert.Equal(["good-0", "good-1"], StoreHarness.ReadAll(store, "fsync", 0).Select(r => r.Body));
        }

        await using var reopened = await StoreHarness.OpenAsync(options);
        Assert.Equal(["good-0", "good-1"], StoreHarness.ReadAll(reopened, "fsync", 0).Select(r => r.Body));
    }

    [Fact]
    public async Task AppendAsync_AsyncFlushFails_AppendsContinueAndLaterFlushSucceeds()
    {
        using var dir = new TempDirectory("faults");
        var hooks = new StoreTestHooks();
        var time = StoreHarness.FakeNow();
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path, flush: FlushPolicy.Async(TimeSpan.FromSeconds(1))), hooks, time);
        var remaining = 1;
        hooks.BeforeFlush = () =>
        {
            if (Interlocked.Decrement(ref remaining) >= 0)
            {
                throw new IOException("injected fdatasync EIO");
            }
        };

        Assert.Equal(AppendStatus.Ok, (await store.AppendAsync("af", 0, StoreHarness.One("a"))).Status);
        time.Advance(TimeSpan.FromSeconds(1));
        await Wait.UntilAsync(() => Volatile.Read(ref remaining) <= 0, "the failing flush attempt");
        Assert.Equal(AppendStatus.Ok, (await store.AppendAsync("af", 0, StoreHarness.One("b"))).Status);
        time.Advance(TimeSpan.FromSeconds(1));

        await Wait.UntilAsync(() => store.GetStatus().DurablePosition == store.GetStatus().WrittenPosition, "a later flush to succeed");
        Assert.Equal(["a", "b"], StoreHarness.ReadAll(store, "af", 0).Select(r => r.Body));
    }
}
