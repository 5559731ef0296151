using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Queues;

namespace OrleansMq.Grains.Tests.Unit;

/// <summary>The per-queue state of idempotent producers: how batches are classified and what is remembered.</summary>
public sealed class ProducerStateTableTests
{
    private static readonly AppendResponse Stored = new(SendStatus.Ok, 1, [new AppendedMessage(SendStatus.Ok, 100, 0), new AppendedMessage(SendStatus.Ok, 200, 1)]);

    [Fact]
    public void Classify_NewDuplicateGapOverlapAndResync()
    {
        var state = new ProducerStateTable(8).GetOrAdd(42);
        Assert.Equal(SequenceDecision.New, state.Classify(5, 2, resync: false)); // a producer first seen may start anywhere
        state.Record(5, 2, Stored);

        Assert.Equal(SequenceDecision.Duplicate, state.Classify(5, 2, resync: false));
        Assert.Same(Stored, state.FindDuplicate(5, 2, storeId: 1));
        Assert.Equal(SequenceDecision.Duplicate, state.Classify(5, 2, resync: true)); // a resent resync batch is still a duplicate
        Assert.Equal(SequenceDecision.New, state.Classify(7, 1, resync: false));
        Assert.Equal(SequenceDecision.OutOfOrder, state.Classify(9, 1, resync: false));
        Assert.Equal(SequenceDecision.New, state.Classify(9, 1, resync: true));
        Assert.Equal(SequenceDecision.OutOfOrder, state.Classify(6, 3, resync: true)); // overlaps: never stored partly
        Assert.Null(state.FindDuplicate(4, 1, storeId: 1));
    }

    [Fact]
    public void FindDuplicate_RecoveredFromTheLog_BuildsTheOriginalResultsOrNothing()
    {
        var table = new ProducerStateTable(8);
        var recovered = new RecoveredProducer { LastSequence = 11 };
        recovered.Stored[10] = (1000, 7);
        recovered.Stored[11] = (1100, 8);
        table.Load(new Dictionary<long, RecoveredProducer> { [42] = recovered });
        var state = table.GetOrAdd(42);

        Assert.Equal(SequenceDecision.Duplicate, state.Classify(10, 2, resync: false));
        var response = state.FindDuplicate(10, 2, storeId: 9)!;
        Assert.Equal((SendStatus.Ok, 9L), (response.Status, response.StoreId));
        Assert.Equal([new AppendedMessage(SendStatus.Ok, 1000, 7), new AppendedMessage(SendStatus.Ok, 1100, 8)], response.Messages);
        Assert.Null(state.FindDuplicate(9, 2, storeId: 9)); // sequence 9 is older than the scanned records
        Assert.Equal(SequenceDecision.New, state.Classify(12, 1, resync: false));
    }

    [Fact]
    public void GetOrAdd_BeyondMaxProducers_ForgetsTheLeastRecentlySeen()
    {
        var table = new ProducerStateTable(2);
        table.GetOrAdd(1).Record(0, 1, Stored);
        table.GetOrAdd(2).Record(0, 1, Stored);
        table.GetOrAdd(1);
        table.GetOrAdd(3);

        Assert.Equal(2, table.Count);
        Assert.Equal(0, table.GetOrAdd(1).LastSequence); // kept: seen most recently
        Assert.Equal(-1, table.GetOrAdd(2).LastSequence); // forgotten: a new state
    }
}
