using OrleansMq.Client.Consuming.Internal;
using OrleansMq.Client.Messages;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Tests.Unit;

public sealed class ProcessQueueTests
{
    private static ReceivedMessage Message(long offset, int bodyBytes = 10) =>
        new("t", "b", 0, offset, 1, offset * 100, 0, 0, MessageFlags.None, ReadOnlyMemory<byte>.Empty, new byte[bodyBytes]);

    private static List<ReceivedMessage> Messages(long from, int count) =>
        Enumerable.Range(0, count).Select(i => Message(from + i)).ToList();

    [Fact]
    public void CommittableOffset_IsTheSmallestUnconsumedOffset_ThenTheNextPullOffsetOnceAllAreConsumed()
    {
        var queue = new ProcessQueue(1000, 1 << 20);
        Assert.Equal(-1, queue.CommittableOffset);
        var pulled = Messages(10, 5); // offsets 10..14
        queue.Add(pulled, 15);

        queue.Remove([pulled[1], pulled[3]]); // consumed out of order: 10 is still open
        Assert.Equal(10, queue.CommittableOffset);
        Assert.Equal(3, queue.Count);

        queue.Remove([pulled[0]]); // 10 and 11 done: 12 is the oldest open
        Assert.Equal(12, queue.CommittableOffset);

        queue.Remove([pulled[2], pulled[4]]);
        Assert.Equal(0, queue.Count);
        Assert.Equal(15, queue.CommittableOffset);
    }

    [Fact]
    public void TakeOldest_SkipsConsumedEntries_AndKeepsOffsetOrderAcrossRingGrowthAndWrapAround()
    {
        var queue = new ProcessQueue(100_000, 1L << 40);
        long next = 0;
        var open = new List<ReceivedMessage>();

        // Pull and consume in waves so the ring both wraps (head moves on) and grows (a slow message holds the head).
        for (var wave = 0; wave < 50; wave++)
        {
            var pulled = Messages(next, 37);
            next += 37;
            queue.Add(pulled, next);
            open.AddRange(pulled);
            var consumed = open.Where(m => m.QueueOffset % 3 != 0 || (wave % 5 == 4 && m.QueueOffset != 0)).ToList();
            queue.Remove(consumed);
            open.RemoveAll(consumed.Contains);
        }

        Assert.Equal(open.Count, queue.Count);
        Assert.Equal(open.Min(m => m.QueueOffset), queue.CommittableOffset);
        Assert.Equal(0, queue.CommittableOffset); // offset 0 was never consumed: nothing above it may be committed
        Assert.Equal(open.OrderBy(m => m.QueueOffset).Take(25).Select(m => m.QueueOffset), queue.TakeOldest(25).Select(m => m.QueueOffset));
    }

    [Fact]
    public void Add_AnOffsetAgainOrOutOfOrder_KeepsOneEntryInItsPlace()
    {
        var queue = new ProcessQueue(1000, 1 << 20);
        var pulled = Messages(20, 3); // 20..22
        queue.Add(pulled, 23);
        queue.Add([Message(21)], 23); // pulled twice: kept once
        Assert.Equal(3, queue.Count);

        queue.Add([Message(5), Message(12)], 23); // a pull position moved back
        Assert.Equal(5, queue.Count);
        Assert.Equal([5L, 12, 20, 21, 22], queue.TakeOldest(10).Select(m => m.QueueOffset));
        Assert.Equal(5, queue.CommittableOffset);

        queue.Remove([pulled[0]]);
        queue.Add([Message(20)], 23); // consumed, then pulled again: cached again
        Assert.Equal([5L, 12, 20, 21, 22], queue.TakeOldest(10).Select(m => m.QueueOffset));
    }

    [Fact]
    public void RandomPullsAndConsumption_BehaveAsASortedMapOfOffsets()
    {
        // The ring against the obvious model: mostly in-order pulls with gaps (filtered offsets), some pulls that move
        // back, consumption in random order and batches, removals of what was already removed.
        var random = new Random(20261207);
        var queue = new ProcessQueue(100_000, 1L << 40);
        var model = new SortedDictionary<long, ReceivedMessage>();
        long next = 0, pullPosition = -1;
        for (var step = 0; step < 5_000; step++)
        {
            if (random.Next(3) > 0)
            {
                var pulled = new List<ReceivedMessage>();
                var from = random.Next(20) == 0 ? Math.Max(0, next - random.Next(1, 50)) : next;
                for (var i = 0; i < random.Next(1, 40); i++)
                {
                    pulled.Add(Message(from));
                    from += random.Next(4) == 0 ? 2 : 1;
                }

                next = Math.Max(next, from);
                queue.Add(pulled, next);
                pullPosition = next;
                foreach (var message in pulled)
                {
                    model.TryAdd(message.QueueOffset, message);
                }
            }
            else if (model.Count > 0)
            {
                var cached = model.Values.ToList();
                var consumed = Enumerable.Range(0, random.Next(1, 20)).Select(_ => cached[random.Next(cached.Count)]).ToList();
                queue.Remove(consumed);
                foreach (var message in consumed)
                {
                    model.Remove(message.QueueOffset);
                }
            }

            Assert.Equal(model.Count, queue.Count);
            Assert.Equal(model.Count > 0 ? model.Keys.First() : pullPosition, queue.CommittableOffset);
        }

        Assert.Equal(model.Keys.Take(500), queue.TakeOldest(500).Select(m => m.QueueOffset));
    }

    [Fact]
    public async Task WaitForSpace_CompletesOnlyWhenBothBoundsAreMetAgain()
    {
        var byCount = new ProcessQueue(4, 1 << 20);
        var pulled = Messages(0, 4);
        byCount.Add(pulled, 4);
        var space = byCount.WaitForSpaceAsync(CancellationToken.None);
        Assert.False(space.IsCompleted);
        byCount.Remove([pulled[2]]); // consumed behind the head still frees a place
        await space.WaitAsync(TimeSpan.FromSeconds(10));

        var byBytes = new ProcessQueue(1000, 100);
        var big = new List<ReceivedMessage> { Message(0, 60), Message(1, 60) };
        byBytes.Add(big, 2);
        var bytes = byBytes.WaitForSpaceAsync(CancellationToken.None);
        Assert.False(bytes.IsCompleted);
        byBytes.Remove([big[0]]);
        await bytes.WaitAsync(TimeSpan.FromSeconds(10));

        var empty = byBytes.WaitForEmptyAsync();
        Assert.False(empty.IsCompleted);
        byBytes.Remove([big[1], big[1]]); // removing twice counts once
        await empty.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, byBytes.Count);
    }

    [Fact]
    public async Task WaitForSpace_WaitsWhileTheUnconsumedSpanIsWiderThanTheMaximum()
    {
        var queue = new ProcessQueue(1000, 1 << 20, maxSpan: 5);
        var first = Messages(0, 10); // 0..9: span 9
        queue.Add(first, 10);
        var space = queue.WaitForSpaceAsync(CancellationToken.None);
        Assert.False(space.IsCompleted);
        queue.Remove(first[..4]); // 4..9 open: span 5
        await space.WaitAsync(TimeSpan.FromSeconds(10));

        var second = Messages(10, 11); // 10..20 while 4 is still open: span 16
        queue.Add(second, 21);
        queue.Remove([.. first[5..], .. second[..5]]); // 4 and 15..20 open: still span 16
        space = queue.WaitForSpaceAsync(CancellationToken.None);
        Assert.False(space.IsCompleted);
        queue.Remove([first[4]]); // the slow message is done: 15..20, span 5
        await space.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(15, queue.CommittableOffset);

        queue.Remove(second[5..]);
        Assert.Equal(0, queue.Count);
        Assert.True(queue.WaitForSpaceAsync(CancellationToken.None).IsCompleted);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65_536)]
    public void ConsumeConcurrentlyMaxSpan_OutOfRange_IsRefusedNamingTheRange(int span)
    {
        var options = new OrleansMq.Client.Consuming.PushConsumerOptions { ConsumerGroup = "g1", ConsumeConcurrentlyMaxSpan = span };
        Assert.Equal($"PushConsumerOptions.ConsumeConcurrentlyMaxSpan is {span}; it must be between 1 and 65535.", Assert.Single(options.Validate()));
        Assert.Empty((options with { ConsumeConcurrentlyMaxSpan = 2000 }).Validate());
    }
}
