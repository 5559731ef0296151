using OrleansMq.Client.Producing;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Grains.Tests.Unit;

public sealed class StickyQueueSelectorTests
{
    private static TopicRoute Route(string topic, params string[] brokers) =>
        new(topic, 1, TopicPermission.ReadWrite, brokers.Select((b, i) => new QueueRoute(i, b)).ToArray());

    /// <summary>
    /// A selector whose "sender" is the queue route itself, and whose queues all have a batch in flight unless
    /// <paramref name="inFlight"/> says otherwise; none gathering, and the producer under load (more bytes in flight
    /// than a turn) unless <paramref name="gathering"/> and <paramref name="producerBytes"/> say otherwise.
    /// </summary>
    private static (StickyQueueSelector<QueueRoute> Selector, BrokerFaultTracker Faults) Create(
        int stickyBytes, Func<QueueRoute, bool>? inFlight = null, Func<QueueRoute, bool>? gathering = null, Func<long>? producerBytes = null)
    {
        var faults = new BrokerFaultTracker(TimeSpan.FromMinutes(1), TimeProvider.System);
        return (new StickyQueueSelector<QueueRoute>(
            faults, stickyBytes, static (_, q) => q, inFlight ?? (_ => true), gathering ?? (_ => false), producerBytes ?? (() => long.MaxValue)), faults);
    }

    [Fact]
    public void Select_ReturnsTheSenderMadeForTheChosenQueue_AndMakesNoneWhileItStays()
    {
        var made = new List<(string Topic, QueueRoute Queue)>();
        var faults = new BrokerFaultTracker(TimeSpan.FromMinutes(1), TimeProvider.System);
        var selector = new StickyQueueSelector<object>(faults, 3000, (t, q) => { made.Add((t, q)); return new object(); }, _ => true, _ => false, () => long.MaxValue);
        var route = Route("t", "a", "a");

        var first = selector.Select(route, 1000, avoid: null);
        Assert.Same(first, selector.Select(route, 1000, avoid: null));
        Assert.Same(first, selector.Select(route, 1000, avoid: null));
        var second = selector.Select(route, 1000, avoid: null);

        Assert.NotSame(first, second);
        Assert.Equal(2, made.Count);
        Assert.All(made, m => Assert.Equal("t", m.Topic));
        Assert.Equal((made[0].Queue.QueueId + 1) % 2, made[1].Queue.QueueId);
    }

    [Fact]
    public void Select_CurrentQueueHasNoBatchInFlight_MovesOnAtOnce_OneAtATimeSendersGoRoundRobin()
    {
        var idle = new HashSet<int>();
        var (selector, _) = Create(stickyBytes: 1 << 20, q => !idle.Contains(q.QueueId));
        var route = Route("t", "a", "a", "a", "a");

        var first = selector.Select(route, 100, avoid: null);
        Assert.Equal(first, selector.Select(route, 100, avoid: null)); // busy: stays

        idle.UnionWith([0, 1, 2, 3]); // every send acknowledged before the next one
        var seen = new List<int>();
        for (var i = 0; i < 8; i++)
        {
            seen.Add(selector.Select(route, 100, avoid: null).QueueId);
        }

        Assert.Equal(Enumerable.Range(0, 8).Select(i => (first.QueueId + 1 + i) % 4), seen);
    }

    [Fact]
    public void Select_StaysOnOneQueueUntilItsBytesAreSent_ThenMovesToTheNextQueue()
    {
        var (selector, _) = Create(stickyBytes: 3000);
        var route = Route("t", "a", "a", "a", "a");

        var first = selector.Select(route, 1000, avoid: null);
        Assert.Equal(first, selector.Select(route, 1000, avoid: null));
        Assert.Equal(first, selector.Select(route, 1000, avoid: null)); // 3,000 bytes sent to it now
        var second = selector.Select(route, 1000, avoid: null);
        Assert.Equal((first.QueueId + 1) % 4, second.QueueId);
    }

    [Fact]
    public void Select_ManyMessages_EveryQueueGetsTheSameShare()
    {
        var (selector, _) = Create(stickyBytes: 64 * 1024);
        var route = Route("t", "a", "b", "a", "b", "a", "b", "a", "b");
        var counts = new int[8];
        for (var i = 0; i < 64 * 8 * 10; i++)
        {
            counts[selector.Select(route, 1024, avoid: null).QueueId]++;
        }

        // 64 messages of 1 KiB per turn, ten turns around the eight queues.
        Assert.All(counts, c => Assert.Equal(640, c));
    }

    [Fact]
    public void Select_TopicsAreIndependent()
    {
        var (selector, _) = Create(stickyBytes: 1 << 20);
        var one = Route("one", "a", "a", "a");
        var two = Route("two", "a", "a", "a");
        var queueOfOne = selector.Select(one, 100, avoid: null);
        var queueOfTwo = selector.Select(two, 100, avoid: null);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(queueOfOne, selector.Select(one, 100, avoid: null));
            Assert.Equal(queueOfTwo, selector.Select(two, 100, avoid: null));
        }
    }

    [Fact]
    public void Select_CurrentQueuesBrokerToAvoidOrFailing_MovesAtOnceToAnotherBroker()
    {
        var (selector, faults) = Create(stickyBytes: 1 << 20);
        var route = Route("t", "a", "b", "a", "b");
        var current = selector.Select(route, 100, avoid: null);

        var retried = selector.Select(route, 100, avoid: current.Broker);
        Assert.NotEqual(current.Broker, retried.Broker);

        faults.MarkFailed(retried.Broker);
        var afterFailure = selector.Select(route, 100, avoid: null);
        Assert.NotEqual(retried.Broker, afterFailure.Broker);
        Assert.Equal(afterFailure, selector.Select(route, 100, avoid: null));
    }

    [Fact]
    public void Select_RouteChangedUnderTheCurrentQueue_ChoosesAQueueOfTheNewRoute()
    {
        var (selector, _) = Create(stickyBytes: 1000);
        var current = selector.Select(Route("t", "a", "a", "a", "a"), 100, avoid: null);
        for (var i = 0; i < 40 && current.QueueId < 2; i++)
        {
            current = selector.Select(Route("t", "a", "a", "a", "a"), 100, avoid: null);
        }

        Assert.InRange(current.QueueId, 2, 3);

        // The topic shrank to two queues, then its queue 1 moved to broker b.
        var shrunk = selector.Select(Route("t", "a", "a"), 100, avoid: null);
        Assert.InRange(shrunk.QueueId, 0, 1);

        var moved = Route("t", "a", "a");
        moved.Queues[shrunk.QueueId] = new QueueRoute(shrunk.QueueId, "b");
        var afterMove = selector.Select(moved, 100, avoid: null);
        Assert.Equal(moved.Queues[afterMove.QueueId], afterMove);
        Assert.NotEqual(shrunk, afterMove);
    }
    [Fact]
    public void Select_LightLoad_QueuesBatchHasLeft_GoesToAnIdleQueue_InsteadOfWaitingForItsAnswer()
    {
        var busy = new HashSet<int>();
        var gathering = new HashSet<int>();
        var (selector, _) = Create(stickyBytes: 256 * 1024, q => busy.Contains(q.QueueId), q => gathering.Contains(q.QueueId), () => 10 * 1024);
        var route = Route("t", "a", "a", "a", "a");

        // The first message takes a queue; its batch is gathering (not yet left), so the burst's next message joins it.
        var first = selector.Select(route, 1024, avoid: null);
        busy.Add(first.QueueId);
        gathering.Add(first.QueueId);
        Assert.Equal(first, selector.Select(route, 1024, avoid: null));

        // Its batch left: the next message would wait for that batch's answer, so it goes to the next idle queue.
        gathering.Remove(first.QueueId);
        busy.Add((first.QueueId + 1) % 4); // the next queue is busy too: skipped
        var second = selector.Select(route, 1024, avoid: null);
        Assert.Equal((first.QueueId + 2) % 4, second.QueueId);

        // Every queue busy: it stays where it is, and the message joins the batch behind the one in flight.
        busy.UnionWith([0, 1, 2, 3]);
        Assert.Equal(second, selector.Select(route, 1024, avoid: null));
    }

    [Fact]
    public void Select_UnderLoad_StaysOnTheQueueWithABatchInFlight_SoTheNextBatchGrows()
    {
        long producerBytes = 256 * 1024; // as many bytes in flight as a turn: under load
        var busy = new HashSet<int>();
        var (selector, _) = Create(stickyBytes: 256 * 1024, q => busy.Contains(q.QueueId), _ => false, () => producerBytes);
        var route = Route("t", "a", "a", "a", "a");

        var first = selector.Select(route, 1024, avoid: null);
        busy.Add(first.QueueId);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(first, selector.Select(route, 1024, avoid: null));
        }

        producerBytes = 8 * 1024; // light load again
        Assert.NotEqual(first, selector.Select(route, 1024, avoid: null));
    }

    /// <summary>
    /// Light load ends at one turn or 256 KiB in flight, whichever is less. With 1 MiB turns a producer with 512 KiB in
    /// flight is under load: its messages stay behind the batch in flight (the batch grows) rather than scattering over
    /// idle queues, which made W4's batches a few messages each when the line was the turn itself.
    /// </summary>
    [Theory]
    [InlineData(1024 * 1024, 512 * 1024, StickyQueueSelector<QueueRoute>.LightLoadBytes - 1)]
    [InlineData(16 * 1024, 16 * 1024, 16 * 1024 - 1)]
    public void Select_LightLoadEndsAtOneTurnOr256KiBInFlight_WhicheverIsLess(int stickyBytes, long underLoad, long lightLoad)
    {
        var producerBytes = underLoad;
        var busy = new HashSet<int>();
        var (selector, _) = Create(stickyBytes, q => busy.Contains(q.QueueId), _ => false, () => producerBytes);
        var route = Route("t", "a", "a", "a", "a");

        var first = selector.Select(route, 1024, avoid: null);
        busy.Add(first.QueueId);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(first, selector.Select(route, 1024, avoid: null));
        }

        producerBytes = lightLoad;
        Assert.Equal((first.QueueId + 1) % 4, selector.Select(route, 1024, avoid: null).QueueId);
    }

    [Fact]
    public void Select_LightLoad_IdleQueuesOnlyOnUsableBrokers()
    {
        var busy = new HashSet<int>();
        var (selector, faults) = Create(stickyBytes: 256 * 1024, q => busy.Contains(q.QueueId), _ => false, () => 0);
        var route = Route("t", "a", "b", "c", "a");
        QueueRoute first;
        do
        {
            first = selector.Select(route, 1024, avoid: null);
        }
        while (first.Broker != "a" || first.QueueId != 0);

        busy.Add(0);
        faults.MarkFailed("b");
        var next = selector.Select(route, 1024, avoid: "c");
        Assert.Equal(3, next.QueueId); // queue 1 is on a failing broker, queue 2 on the one to avoid
    }
}
