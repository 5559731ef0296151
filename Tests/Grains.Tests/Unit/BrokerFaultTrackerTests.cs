using Microsoft.Extensions.Time.Testing;
using OrleansMq.Client.Producing;

namespace OrleansMq.Grains.Tests.Unit;

public sealed class BrokerFaultTrackerTests
{
    [Fact]
    public void IsFaulty_FromMarkFailedUntilHealthyOrTheBackoffEnds_OnlyForThatBroker()
    {
        var time = new FakeTimeProvider();
        var faults = new BrokerFaultTracker(TimeSpan.FromSeconds(30), time);
        Assert.False(faults.IsFaulty("a"));

        faults.MarkFailed("a");
        faults.MarkFailed("a"); // marked twice, healthy once: healthy
        Assert.True(faults.IsFaulty("a"));
        Assert.False(faults.IsFaulty("b"));
        faults.MarkHealthy("a");
        Assert.False(faults.IsFaulty("a"));

        faults.MarkFailed("b");
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.True(faults.IsFaulty("b"));
        faults.MarkFailed("b"); // failing again extends the backoff
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.True(faults.IsFaulty("b"));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(faults.IsFaulty("b"));
    }

    [Fact]
    public void MarkFailedAndHealthy_RacingOnManyThreads_LeaveEveryBrokerTrackedAfterwards()
    {
        // The count kept beside the dictionary lets IsFaulty skip it while no broker is marked; had the races left the
        // count below the dictionary's size, a broker marked failed afterwards would read as healthy.
        var faults = new BrokerFaultTracker(TimeSpan.FromMinutes(5), TimeProvider.System);
        var brokers = Enumerable.Range(0, 4).Select(i => $"b{i}").ToArray();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 20_000; i++)
            {
                var broker = brokers[random.Next(brokers.Length)];
                if (random.Next(2) == 0)
                {
                    faults.MarkFailed(broker);
                }
                else
                {
                    faults.MarkHealthy(broker);
                }
            }
        });

        foreach (var broker in brokers)
        {
            faults.MarkHealthy(broker);
        }

        foreach (var broker in brokers)
        {
            Assert.False(faults.IsFaulty(broker));
            faults.MarkFailed(broker);
            Assert.True(faults.IsFaulty(broker));
        }

        foreach (var broker in brokers)
        {
            faults.MarkHealthy(broker);
            Assert.False(faults.IsFaulty(broker));
        }

        faults.MarkFailed("b0");
        Assert.True(faults.IsFaulty("b0"));
    }
}
