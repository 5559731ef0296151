using System.Text;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

public sealed class IndexTests
{
    /// <summary>Fake clocks advance by hours here: no per-second checkpoint work while they do.</summary>
    private static readonly OrleansMq.Storage.Internal.StoreTestHooks QuietHooks = new() { CheckpointInterval = Timeout.InfiniteTimeSpan };

    [Fact]
    public async Task QueryByKey_KeysAcrossIndexFiles_VerifiedNewestFirstWithinTimeRange()
    {
        using var dir = new TempDirectory("index");
        var time = StoreHarness.FakeNow();
        var options = StoreHarness.Options(dir.Path);
        options.IndexEntriesPerFile = 32;
        await using var store = await StoreHarness.OpenAsync(options, QuietHooks, time);
        var t0 = time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < 60; i++)
        {
            var keys = i % 10 == 0 ? $"order-{i} hot" : $"order-{i}";
            await store.AppendAsync("orders", i % 4, StoreHarness.One($"m{i}", StoreHarness.Props(("KEYS", keys), ("UNIQ_KEY", $"U{i}"))));
            await store.AppendAsync("other", 0, StoreHarness.One($"o{i}", StoreHarness.Props(("KEYS", "hot"))));
            time.Advance(TimeSpan.FromSeconds(10));
        }

        var hot = store.QueryByKey("orders", "hot", 100, 0, long.MaxValue);
        Assert.Equal(["m50", "m40", "m30", "m20", "m10", "m0"], hot.Select(m => Encoding.UTF8.GetString(m.Body.Span)));
        Assert.Equal(["m50", "m40"], store.QueryByKey("orders", "hot", 2, 0, long.MaxValue).Select(m => Encoding.UTF8.GetString(m.Body.Span)));
        var window = store.QueryByKey("orders", "hot", 100, t0 + 150_000, t0 + 350_000);
        Assert.Equal(["m30", "m20"], window.Select(m => Encoding.UTF8.GetString(m.Body.Span)));
        Assert.Equal("m33", Encoding.UTF8.GetString(store.QueryByKey("orders", "order-33", 10, 0, long.MaxValue).Single().Body.Span));
        Assert.Empty(store.QueryByKey("orders", "order-999", 10, 0, long.MaxValue));
        Assert.Equal(60, store.QueryByKey("other", "hot", 100, 0, long.MaxValue).Count);
    }

    [Fact]
    public async Task QueryByUniqueKey_ProducerRetried_ReturnsEveryCopy()
    {
        using var dir = new TempDirectory("index");
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path));
        var props = StoreHarness.Props(("UNIQ_KEY", "ABC"));
        var first = await store.AppendAsync("u", 0, StoreHarness.One("try-1", props));
        await store.AppendAsync("u", 0, StoreHarness.One("noise", StoreHarness.Props(("UNIQ_KEY", "XYZ"))));
        var second = await store.AppendAsync("u", 1, StoreHarness.One("try-2", props));

        var found = store.QueryByUniqueKey("u", "ABC");

        Assert.Equal([second.Messages[0].LogOffset, first.Messages[0].LogOffset], found.Select(m => m.LogOffset));
        Assert.Empty(store.QueryByUniqueKey("other-topic", "ABC"));
    }

    [Fact]
    public async Task GetQueueOffsetByTime_FindsFirstOffsetAtOrAfter()
    {
        using var dir = new TempDirectory("index");
        var time = StoreHarness.FakeNow();
        await using var store = await StoreHarness.OpenAsync(StoreHarness.Options(dir.Path), QuietHooks, time);
        var stamps = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            var result = await store.AppendAsync("time", 0, StoreHarness.One($"t{i}"));
            stamps.Add(result.StoreTimestamp);
            time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(0, store.GetQueueOffsetByTime("time", 0, 0));
        Assert.Equal(0, store.GetQueueOffsetByTime("time", 0, stamps[0]));
        Assert.Equal(7, store.GetQueueOffsetByTime("time", 0, stamps[7]));
        Assert.Equal(8, store.GetQueueOffsetByTime("time", 0, stamps[7] + 1));
        Assert.Equal(20, store.GetQueueOffsetByTime("time", 0, stamps[19] + 1));
        Assert.Equal(0, store.GetQueueOffsetByTime("never", 0, 0));
    }
}
