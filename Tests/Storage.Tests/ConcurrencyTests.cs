using System.Collections.Concurrent;
using OrleansMq.Storage.Flush;
using OrleansMq.TestKit;

namespace OrleansMq.Storage.Tests;

public sealed class ConcurrencyTests
{
    public static TheoryData<string> Policies => ["sync", "async:5ms"];

    [Theory]
    [MemberData(nameof(Policies))]
    public async Task AppendAsync_64ConcurrentAppenders_EveryAckedRecordReadableWithDenseUniqueOffsets(string policy)
    {
        using var dir = new TempDirectory("concurrency");
        var options = StoreHarness.Options(dir.Path, segmentSize: 32 * 1024, flush: FlushPolicy.Parse(policy));
        const int appenders = 64;
        const int appendsEach = 20;
        const int queues = 4;
        var topic = "conc";
        var acked = new ConcurrentBag<(int Queue, long QueueOffset, long LogOffset, string Body)>();
        await using (var store = await StoreHarness.OpenAsync(options))
        {
            var tasks = Enumerable.Range(0, appenders).Select(a => Task.Run(async () =>
            {
                for (var i = 0; i < appendsEach; i++)
                {
                    var queue = (a + i) % queues;
                    var count = 1 + (i % 3);
                    var result = await store.AppendAsync(topic, queue, StoreHarness.Many(count, $"a{a}-i{i}"));
                    Assert.Equal(AppendStatus.Ok, result.Status);
                    for (var m = 0; m < count; m++)
                    {
                        acked.Add((queue, result.Messages[m].QueueOffset, result.Messages[m].LogOffset, $"a{a}-i{i}-{m}"));
                    }
                }
            })).ToArray();
            await Wait.ForAsync(Task.WhenAll(tasks), $"{appenders} appenders x {appendsEach} appends ({policy})");

            await AssertStoreHoldsAsync(store, topic, queues, acked);
        }

        await using var reopened = await StoreHarness.OpenAsync(options);
        await AssertStoreHoldsAsync(reopened, topic, queues, acked);
    }

    private static Task AssertStoreHoldsAsync(MessageStore store, string topic, int queues, ConcurrentBag<(int Queue, long QueueOffset, long LogOffset, string Body)> acked)
    {
        for (var queue = 0; queue < queues; queue++)
        {
            var expected = acked.Where(a => a.Queue == queue).OrderBy(a => a.QueueOffset).ToList();
            Assert.Equal(Enumerable.Range(0, expected.Count).Select(i => (long)i), expected.Select(e => e.QueueOffset));
            var read = StoreHarness.ReadAll(store, topic, queue);
            Assert.Equal(expected.Select(e => (e.QueueOffset, e.Body, e.LogOffset)), read);
            // Queue order is log order.
            Assert.True(read.Zip(read.Skip(1)).All(p => p.First.LogOffset < p.Second.LogOffset), "queue offsets follow log order");
        }

        foreach (var (_, queueOffset, logOffset, body) in acked.Take(50))
        {
            Assert.True(store.TryReadMessage(logOffset, out var message), $"message id at {logOffset} resolves");
            Assert.Equal(body, System.Text.Encoding.UTF8.GetString(message.Body.Span));
            Assert.Equal(queueOffset, message.QueueOffset);
        }

        return Task.CompletedTask;
    }
}
