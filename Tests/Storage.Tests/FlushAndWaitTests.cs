using System.Runtime.CompilerServices;
using OrleansMq.Storage.Flush;
using OrleansMq.Storage.Internal;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

public sealed class FlushAndWaitTests
{
    [Fact]
    public async Task AppendAsync_SyncWhileFlushBlocked_NothingVisibleUntilDurable()
    {
        using var dir = new TempDirectory("sync");
        using var gate = new ManualResetEventSlim(true);
        using var entered = new SemaphoreSlim(0);
        var hooks = new StoreTestHooks();
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path), hooks);
        var topic = StoreHarness.Topic("sync");
        hooks.BeforeFlush = () =>
        {
            entered.Release();
            gate.Wait(TimeSpan.FromSeconds(30));
        };
        gate.Reset();

        var append = store.AppendAsync(topic, 0, StoreHarness.One("durable-first")).AsTask();
        await Wait.ForAsync(entered.WaitAsync(), "the flusher to start the fdatasync");
        var wait = store.WaitForMessagesAsync(topic, 0, 0, TimeSpan.FromSeconds(30)).AsTask();
        var status = store.GetStatus();

        Assert.False(append.IsCompleted, "append acknowledged before its fdatasync");
        Assert.True(status.WrittenPosition > status.DurablePosition, $"written {status.WrittenPosition}, durable {status.DurablePosition}");
        Assert.Equal(ReadStatus.NoNewMessage, store.Read(topic, 0, 0, 10, 1000).Status);
        Assert.Equal(default, store.GetQueueRange(topic, 0));
        Assert.False(store.TryReadMessage(0, out _));
        Assert.False(wait.IsCompleted);

        hooks.BeforeFlush = null;
        gate.Set();
        var result = await Wait.ForAsync(append, "the append after the flush");
        Assert.Equal(AppendStatus.Ok, result.Status);
        Assert.True(await Wait.ForAsync(wait, "the long poll to wake after the flush"));
        Assert.Equal(ReadStatus.Found, store.Read(topic, 0, 0, 10, 1000).Status);
        Assert.True(store.GetStatus().DurablePosition >= result.Messages[0].LogOffset);
    }

    [Fact]
    public async Task AppendAsync_AtThePendingLimit_WaitingAppendsAreWrittenInCallOrder()
    {
        // A queue grain accepts an idempotent producer's next batch while the previous one is still being stored; that
        // is only safe if appends made one after another are written in that order, also when they wait for a slot.
        const int limit = 8, waiting = 200;
        using var dir = new TempDirectory("order");
        using var gate = new ManualResetEventSlim(false);
        var hooks = new StoreTestHooks { MaxPendingAppends = limit };
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path), hooks);
        var topic = StoreHarness.Topic("order");
        hooks.BeforeFlush = () => gate.Wait(TimeSpan.FromSeconds(30));

        var appends = new List<Task<AppendResult>>();
        for (var i = 0; i < limit + waiting; i++)
        {
            appends.Add(store.AppendAsync(topic, 0, StoreHarness.One($"m{i}")).AsTask());
        }

        Assert.All(appends, a => Assert.False(a.IsCompleted, "an append completed while the flush was held"));
        hooks.BeforeFlush = null;
        gate.Set();

        // Appends made while the waiting ones are being let through: a slot freed meanwhile must not let them pass.
        for (var i = 0; i < waiting; i++)
        {
            appends.Add(store.AppendAsync(topic, 0, StoreHarness.One($"late{i}")).AsTask());
        }

        var results = await Wait.ForAsync(Task.WhenAll(appends), $"{appends.Count} appends behind a limit of {limit}");

        Assert.All(results, r => Assert.Equal(AppendStatus.Ok, r.Status));
        Assert.Equal(Enumerable.Range(0, appends.Count).Select(i => (long)i), results.Select(r => r.Messages[0].QueueOffset));
    }

    [Fact]
    public async Task AppendAsync_SyncAcknowledged_FlusherKeepsNoReferenceToTheBatch()
    {
        // The flusher's pending list used to be a ConcurrentQueue that was peeked and enumerated, which keeps every
        // dequeued slot referenced: acknowledged batches stayed reachable and gen0 GCs promoted megabytes at once.
        using var dir = new TempDirectory("sync");
        var time = StoreHarness.FakeNow();
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path), time: time);
        var topic = StoreHarness.Topic("sync");

        var (append, batch) = AppendUnreferenced(store, topic);
        Assert.Equal(AppendStatus.Ok, (await Wait.ForAsync(append, "the first append")).Status);
        time.Advance(TimeSpan.FromSeconds(2)); // the flush-timeout watchdog reads the pending list
        for (var i = 0; i < 3; i++)
        {
            // Later groups replace the writer's and flusher's references to the first one.
            Assert.Equal(AppendStatus.Ok, (await Wait.ForAsync(store.AppendAsync(topic, 0, StoreHarness.One($"later-{i}")).AsTask(), "a later append")).Status);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(batch.IsAlive, "the acknowledged batch is still reachable from the store");
    }

    // Not inlined and not async, so no local or state machine of the test keeps the batch alive.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Task<AppendResult> Append, WeakReference Batch) AppendUnreferenced(MessageStore store, string topic)
    {
        var bytes = StoreHarness.Many(8, "weak");
        return (store.AppendAsync(topic, 0, bytes).AsTask(), new WeakReference(bytes));
    }

    [Fact]
    public async Task AppendAsync_SyncFlushSlowerThanFlushTimeout_ReportsFlushTimeoutThenBecomesVisible()
    {
        using var dir = new TempDirectory("sync");
        using var gate = new ManualResetEventSlim(false);
        var hooks = new StoreTestHooks();
        var options = StoreHarness.Options(dir.Path);
        options.FlushTimeout = TimeSpan.FromMilliseconds(50);
        await using var store = await StoreHarness.OpenAsync(options, hooks);
        hooks.BeforeFlush = () => gate.Wait(TimeSpan.FromSeconds(30));

        var result = await Wait.ForAsync(store.AppendAsync("slow", 0, StoreHarness.One("x")).AsTask(), "a flush timeout answer");

        Assert.Equal(AppendStatus.FlushTimeout, result.Status);
        Assert.Equal(AppendStatus.FlushTimeout, result.Messages[0].Status);
        Assert.Equal(0, result.Messages[0].QueueOffset);
        Assert.Equal(ReadStatus.NoNewMessage, store.Read("slow", 0, 0, 1, 100).Status);
        hooks.BeforeFlush = null;
        gate.Set();
        Assert.True(await store.WaitForMessagesAsync("slow", 0, 0, Wait.DefaultTimeout), "visible once durable");
    }

    [Fact]
    public async Task WaitForMessagesAsync_MessageArrives_CompletesTrue()
    {
        using var dir = new TempDirectory("wait");
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path, flush: FlushPolicy.Async(TimeSpan.FromMilliseconds(10))));
        var topic = StoreHarness.Topic("wait");

        var waits = Enumerable.Range(0, 10).Select(_ => store.WaitForMessagesAsync(topic, 1, 0, TimeSpan.FromSeconds(30)).AsTask()).ToArray();
        Assert.All(waits, w => Assert.False(w.IsCompleted));
        await store.AppendAsync(topic, 0, StoreHarness.One("other queue"));
        Assert.All(waits, w => Assert.False(w.IsCompleted));
        await store.AppendAsync(topic, 1, StoreHarness.One("wake"));

        var results = await Wait.ForAsync(Task.WhenAll(waits), "ten long polls to wake");
        Assert.All(results, Assert.True);
        Assert.True(await store.WaitForMessagesAsync(topic, 1, 0, TimeSpan.Zero), "already available: immediate true");
    }

    [Fact]
    public async Task WaitForMessagesAsync_NothingArrives_FalseAfterTimeoutOnFakeClock()
    {
        using var dir = new TempDirectory("wait");
        var time = StoreHarness.FakeNow();
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path), time: time);

        var wait = store.WaitForMessagesAsync("idle", 0, 0, TimeSpan.FromSeconds(15)).AsTask();
        time.Advance(TimeSpan.FromSeconds(14));
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.False(await Wait.ForAsync(wait, "the long poll timeout"));
        Assert.False(await store.WaitForMessagesAsync("idle", 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task WaitForMessagesAsync_Cancelled_Throws()
    {
        using var dir = new TempDirectory("wait");
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path));
        using var cts = new CancellationTokenSource();
        var wait = store.WaitForMessagesAsync("idle", 0, 0, TimeSpan.FromSeconds(30), cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Wait.ForAsync(wait, "a cancelled long poll"));
    }

    [Fact]
    public async Task AppendAsync_AsyncPolicy_VisibleAtOnceDurableAfterInterval()
    {
        using var dir = new TempDirectory("async");
        var time = StoreHarness.FakeNow();
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path, flush: FlushPolicy.Async(TimeSpan.FromMilliseconds(500))), time: time);

        var result = await store.AppendAsync("a", 0, StoreHarness.One("x"));

        Assert.Equal(AppendStatus.Ok, result.Status);
        Assert.Equal(ReadStatus.Found, store.Read("a", 0, 0, 1, 100).Status);
        var status = store.GetStatus();
        Assert.True(status.WrittenPosition > status.DurablePosition, "not flushed before the interval");
        time.Advance(TimeSpan.FromMilliseconds(500));
        await Wait.UntilAsync(() => store.GetStatus().DurablePosition == status.WrittenPosition, "the interval flush", observed: () => store.GetStatus().ToString());
    }

    [Fact]
    public void FlushPolicy_Parse_AcceptsConfigurationForms()
    {
        Assert.True(FlushPolicy.Parse("SYNC").IsSync);
        Assert.Equal(TimeSpan.FromMilliseconds(500), FlushPolicy.Parse("async").Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(250), FlushPolicy.Parse("async:250ms").Interval);
        Assert.Equal(TimeSpan.FromSeconds(2), FlushPolicy.Parse("async:2s").Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(500), FlushPolicy.Parse("async:00:00:00.5").Interval);
        Assert.Throws<FormatException>(() => FlushPolicy.Parse("sometimes"));
        Assert.Throws<ArgumentOutOfRangeException>(() => FlushPolicy.Async(TimeSpan.Zero));
    }
}
