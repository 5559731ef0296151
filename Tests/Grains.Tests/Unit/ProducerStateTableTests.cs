using System.Buffers;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Queues;
using OrleansMq.Storage;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.Configuration;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Unit;

/// <summary>The per-queue state of idempotent producers: how batches are classified and what is remembered.</summary>
public sealed class ProducerStateTableTests
{
    private static readonly AppendResponse StoredResponse = new(SendStatus.Ok, 1, [new AppendedMessage(SendStatus.Ok, 100, 0), new AppendedMessage(SendStatus.Ok, 200, 1)]);
    private static readonly Task<AppendResponse> Stored = Task.FromResult(StoredResponse);

    [Fact]
    public void Classify_NewDuplicateGapOverlapAndResync()
    {
        var state = new ProducerStateTable(8).GetOrAdd(42);
        Assert.Equal(SequenceDecision.Gap, state.Classify(5, 2, resync: false)); // a producer first seen: wait for its batch 0, or it was forgotten
        Assert.Equal(SequenceDecision.New, state.Classify(0, 2, resync: false));
        Assert.Equal(SequenceDecision.New, state.Classify(5, 2, resync: true));
        state.Accept(5, 2, Stored);

        Assert.Equal(SequenceDecision.Duplicate, state.Classify(5, 2, resync: false));
        Assert.Same(Stored, state.FindDuplicate(5, 2, storeId: 1)?.Result);
        Assert.Equal(SequenceDecision.Duplicate, state.Classify(5, 2, resync: true)); // a resent resync batch is still a duplicate
        Assert.Equal(SequenceDecision.New, state.Classify(7, 1, resync: false));
        Assert.Equal(SequenceDecision.Gap, state.Classify(9, 1, resync: false)); // ahead of sequence 7: wait for it
        Assert.Equal(SequenceDecision.New, state.Classify(9, 1, resync: true));
        Assert.Equal(SequenceDecision.OutOfOrder, state.Classify(6, 3, resync: true)); // overlaps: never stored partly
        Assert.Null(state.FindDuplicate(4, 1, storeId: 1));
    }

    [Fact]
    public async Task Accept_WhileEarlierBatchesAreStillBeingStored_NextBatchIsNewAndRetriesGetThePendingResult()
    {
        var table = new ProducerStateTable(1);
        var state = table.GetOrAdd(42);
        var first = new TaskCompletionSource<AppendResponse>();
        var second = new TaskCompletionSource<AppendResponse>();
        state.Accept(0, 3, first.Task);

        // Pipelining: the next batch follows the last accepted one, whether or not that one is stored yet.
        Assert.Equal(SequenceDecision.New, state.Classify(3, 2, resync: false));
        state.Accept(3, 2, second.Task);
        Assert.Equal(SequenceDecision.Gap, state.Classify(6, 1, resync: false));
        var advanced = state.Advanced;
        Assert.Same(first.Task, state.FindDuplicate(0, 3, storeId: 1)?.Result);
        Assert.Same(second.Task, state.FindDuplicate(3, 2, storeId: 1)?.Result);
        Assert.True(state.HasPending);

        // A producer with batches being stored is not forgotten for a new one.
        table.GetOrAdd(43);
        Assert.Same(state, table.GetOrAdd(42));

        Assert.False(advanced.IsCompleted);
        state.Accept(5, 1, Stored);
        Assert.True(advanced.IsCompleted, "a batch waiting for sequence 5 is woken");
        first.SetResult(new AppendResponse(SendStatus.DiskFull, 1, []));
        second.SetResult(StoredResponse);
        Assert.False(state.HasPending);
        Assert.Equal(SendStatus.DiskFull, (await state.FindDuplicate(0, 3, storeId: 1)!.Value.Result!).Status); // a failed batch stays failed
        Assert.Equal(SequenceDecision.New, state.Classify(6, 1, resync: false));
    }

    [Fact]
    public async Task FindDuplicate_RecoveredFromTheLog_BuildsTheOriginalResultsOrNothing()
    {
        var table = new ProducerStateTable(8);
        var recovered = new RecoveredProducer { LastSequence = 11 };
        recovered.Stored[10] = (1000, 7);
        recovered.Stored[11] = (1100, 8);
        table.Load(new Dictionary<long, RecoveredProducer> { [42] = recovered });
        var state = table.GetOrAdd(42);

        Assert.Equal(SequenceDecision.Duplicate, state.Classify(10, 2, resync: false));
        var response = await state.FindDuplicate(10, 2, storeId: 9)!.Value.Result!;
        Assert.Equal((SendStatus.Ok, 9L), (response.Status, response.StoreId));
        Assert.Equal([new AppendedMessage(SendStatus.Ok, 1000, 7), new AppendedMessage(SendStatus.Ok, 1100, 8)], response.Messages);
        Assert.Null(state.FindDuplicate(9, 2, storeId: 9)); // sequence 9 is older than the scanned records
        Assert.Equal(SequenceDecision.New, state.Classify(12, 1, resync: false));
    }

    [Fact]
    public void Stored_EveryMessageOkOneAfterAnother_KeepsOnlyTheFirstQueueOffset_AnyOtherOutcomeKeepsTheResult()
    {
        var state = new ProducerStateTable(8).GetOrAdd(42);
        var gap = new AppendResponse(SendStatus.Ok, 1, [new AppendedMessage(SendStatus.Ok, 100, 4), new AppendedMessage(SendStatus.Ok, 200, 6)]);
        var timeout = new AppendResponse(SendStatus.FlushDiskTimeout, 1, [new AppendedMessage(SendStatus.FlushDiskTimeout, 100, 8)]);
        var scheduled = new AppendResponse(SendStatus.Ok, 1, [new AppendedMessage(SendStatus.Ok, 100, -1)]);
        var pending = new TaskCompletionSource<AppendResponse>().Task;
        state.Accept(0, 2, Stored);
        state.Accept(2, 2, Task.FromResult(gap));
        state.Accept(4, 1, Task.FromResult(timeout));
        state.Accept(5, 1, Task.FromResult(scheduled));
        state.Accept(6, 1, pending);

        state.Stored(Stored, StoredResponse);
        state.Stored(state.FindDuplicate(2, 2, 1)!.Value.Result!, gap);
        state.Stored(state.FindDuplicate(4, 1, 1)!.Value.Result!, timeout);
        state.Stored(state.FindDuplicate(5, 1, 1)!.Value.Result!, scheduled);
        state.Stored(Task.FromResult(StoredResponse), StoredResponse); // not a batch of this producer: nothing changes

        Assert.Equal(new RememberedBatch(null, 0), state.FindDuplicate(0, 2, 1));
        Assert.NotNull(state.FindDuplicate(2, 2, 1)!.Value.Result); // queue offsets 4 and 6: not one after another
        Assert.NotNull(state.FindDuplicate(4, 1, 1)!.Value.Result); // not a plain success
        Assert.NotNull(state.FindDuplicate(5, 1, 1)!.Value.Result); // a timer message: not in the queue yet
        Assert.Same(pending, state.FindDuplicate(6, 1, 1)!.Value.Result);
        Assert.Null(state.FindDuplicate(0, 1, 1)); // the same first sequence, another count: not that batch
    }

    [Fact]
    public async Task ReadStored_BatchInTheQueue_ItsResultsFromTheStore_AnotherProducersOrMissing_Null()
    {
        using var directory = new TempDirectory("mq-producer-state");
        await using var store = await Wait.ForAsync(MessageStore.OpenAsync(new MessageStoreOptions { Directory = directory.Path, MinFreeDiskBytes = 0 }), "store open");
        var first = await store.AppendAsync("t", 0, Batch(42, 0, 3));
        var other = await store.AppendAsync("t", 0, Batch(43, 0, 2));
        Assert.Equal((AppendStatus.Ok, AppendStatus.Ok), (first.Status, other.Status));

        var read = ProducerStateTable.ReadStored(store, "t", 0, 42, 0, 3, 0);
        var readOther = ProducerStateTable.ReadStored(store, "t", 0, 43, 0, 2, 3);

        Assert.Equal(first.Messages.Select(m => new AppendedMessage(SendStatus.Ok, m.LogOffset, m.QueueOffset)), read!);
        Assert.Equal(other.Messages.Select(m => new AppendedMessage(SendStatus.Ok, m.LogOffset, m.QueueOffset)), readOther!);
        Assert.Null(ProducerStateTable.ReadStored(store, "t", 0, 43, 0, 2, 0)); // producer 42's messages there
        Assert.Null(ProducerStateTable.ReadStored(store, "t", 0, 42, 1, 3, 0)); // other sequences
        Assert.Null(ProducerStateTable.ReadStored(store, "t", 0, 43, 0, 3, 3)); // only two of them in the queue
        Assert.Null(ProducerStateTable.ReadStored(store, "t", 1, 42, 0, 3, 0)); // another queue
        await store.DisposeAsync();
        Assert.Null(ProducerStateTable.ReadStored(store, "t", 0, 42, 0, 3, 0)); // the store closed meanwhile: ids unknown, nothing thrown
    }

    [Fact]
    public void GetOrAdd_BeyondMaxProducers_ForgetsTheLeastRecentlySeen()
    {
        var table = new ProducerStateTable(2);
        table.GetOrAdd(1).Accept(0, 1, Stored);
        table.GetOrAdd(2).Accept(0, 1, Stored);
        table.GetOrAdd(1);
        table.GetOrAdd(3);

        Assert.Equal(2, table.Count);
        Assert.Equal(0, table.GetOrAdd(1).LastSequence); // kept: seen most recently
        Assert.Equal(-1, table.GetOrAdd(2).LastSequence); // forgotten: a new state
    }

    /// <summary>A batch as an idempotent producer writes it: message i carries sequence <paramref name="baseSequence"/> + i.</summary>
    private static byte[] Batch(long producerId, long baseSequence, int count)
    {
        var batch = new ArrayBufferWriter<byte>();
        Span<byte> sequence = stackalloc byte[SequenceProperty.MaxEncodedSize];
        for (var i = 0; i < count; i++)
        {
            var length = SequenceProperty.Write(sequence, producerId, baseSequence + i);
            MessageBatchWriter.Write(batch, 0, MessageFlags.None, sequence[..length], System.Text.Encoding.UTF8.GetBytes($"body-{baseSequence + i}"));
        }

        return batch.WrittenSpan.ToArray();
    }
}
