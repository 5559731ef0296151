using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Consumers.Allocation;

namespace OrleansMq.Grains.Tests.Unit;

public sealed class AllocationTests
{
    private static List<QueueRef> Queues(int count) => Enumerable.Range(0, count).Select(i => new QueueRef("t", i)).ToList();

    private static List<string> Members(int count) => Enumerable.Range(0, count).Select(i => $"m{i}").ToList();

    private static Dictionary<QueueRef, string> Allocate(AllocationStrategy strategy, int queues, int members, IReadOnlyDictionary<QueueRef, string>? current = null)
    {
        var result = new Dictionary<QueueRef, string>();
        QueueAllocator.For(strategy).Allocate(Queues(queues), Members(members), current ?? new Dictionary<QueueRef, string>(), result);
        return result;
    }

    [Theory]
    [InlineData(AllocationStrategy.Averagely)]
    [InlineData(AllocationStrategy.AveragelyByCircle)]
    [InlineData(AllocationStrategy.ConsistentHash)]
    [InlineData(AllocationStrategy.Sticky)]
    public void Allocate_EveryQueueGetsExactlyOneLiveMember(AllocationStrategy strategy)
    {
        foreach (var (q, m) in new[] { (8, 3), (8, 8), (3, 5), (16, 1), (100, 7) })
        {
            var result = Allocate(strategy, q, m);
            Assert.Equal(q, result.Count);
            Assert.All(result.Values, member => Assert.Contains(member, Members(m)));
        }
    }

    [Fact]
    public void Averagely_EightQueuesThreeMembers_ContiguousBlocksLargerFirst()
    {
        var result = Allocate(AllocationStrategy.Averagely, 8, 3);
        Assert.Equal(["m0", "m0", "m0", "m1", "m1", "m1", "m2", "m2"], Queues(8).Select(q => result[q]));
    }

    [Fact]
    public void Averagely_MoreMembersThanQueues_ExtraMembersIdle()
    {
        var result = Allocate(AllocationStrategy.Averagely, 3, 5);
        Assert.Equal(["m0", "m1", "m2"], Queues(3).Select(q => result[q]));
    }

    [Fact]
    public void Circle_QueueModuloMembers()
    {
        var result = Allocate(AllocationStrategy.AveragelyByCircle, 8, 3);
        Assert.Equal(["m0", "m1", "m2", "m0", "m1", "m2", "m0", "m1"], Queues(8).Select(q => result[q]));
    }

    [Theory]
    [InlineData(8, 3)]
    [InlineData(10, 4)]
    [InlineData(64, 7)]
    public void Sticky_IsBalanced(int queues, int members)
    {
        var counts = Allocate(AllocationStrategy.Sticky, queues, members).GroupBy(p => p.Value).Select(g => g.Count()).ToList();
        Assert.Equal(members, counts.Count);
        Assert.InRange(counts.Max() - counts.Min(), 0, 1);
    }

    [Fact]
    public void Sticky_AddFourthMember_MovesExactlyTheSurplus()
    {
        var before = Allocate(AllocationStrategy.Averagely, 8, 3); // 3, 3, 2
        var result = new Dictionary<QueueRef, string>();
        QueueAllocator.For(AllocationStrategy.Sticky).Allocate(Queues(8), Members(4), before, result);

        Assert.Equal(2, Queues(8).Count(q => before[q] != result[q]));
        Assert.All(result.GroupBy(p => p.Value), g => Assert.Equal(2, g.Count()));
    }

    [Fact]
    public void Sticky_MemberLeaves_OnlyItsQueuesMove()
    {
        var before = Allocate(AllocationStrategy.Sticky, 9, 3);
        var result = new Dictionary<QueueRef, string>();
        QueueAllocator.For(AllocationStrategy.Sticky).Allocate(Queues(9), ["m0", "m1"], before, result);

        var moved = Queues(9).Where(q => before[q] != result[q]).ToList();
        Assert.All(moved, q => Assert.Equal("m2", before[q]));
        Assert.Equal(3, moved.Count);
    }

    [Fact]
    public void ConsistentHash_AddMember_MovesOnlyToTheNewMember()
    {
        var before = Allocate(AllocationStrategy.ConsistentHash, 64, 4);
        var after = Allocate(AllocationStrategy.ConsistentHash, 64, 5);
        var moved = Queues(64).Where(q => before[q] != after[q]).ToList();
        Assert.All(moved, q => Assert.Equal("m4", after[q]));
        Assert.InRange(moved.Count, 1, 40);
    }

    [Fact]
    public void Allocate_IsDeterministic()
    {
        foreach (var strategy in Enum.GetValues<AllocationStrategy>())
        {
            Assert.Equal(Allocate(strategy, 20, 3), Allocate(strategy, 20, 3));
        }
    }
}
