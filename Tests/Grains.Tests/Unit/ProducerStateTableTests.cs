using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Queues;

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
        Assert.Same(Stored, state.FindDuplicate(5, 2, storeId: 1));
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
        Assert.Same(first.Task, state.FindDuplicate(0, 3, storeId: 1));
        Assert.Same(second.Task, state.FindDuplicate(3, 2, storeId: 1));
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
        Assert.Equal(SendStatus.DiskFull, (await state.FindDuplicate(0, 3, storeId: 1)!).Status); // a failed batch stays failed
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
        var response = await state.FindDuplicate(10, 2, storeId: 9)!;
        Assert.Equal((SendStatus.Ok, 9L), (response.Status, response.StoreId));
        Assert.Equal([new AppendedMessage(SendStatus.Ok, 1000, 7), new AppendedMessage(SendStatus.Ok, 1100, 8)], response.Messages);
        Assert.Null(state.FindDuplicate(9, 2, storeId: 9)); // sequence 9 is older than the scanned records
        Assert.Equal(SequenceDecision.New, state.Classify(12, 1, resync: false));
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
}
