using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Hosting;

namespace OrleansMq.Grains.Diagnostics;

/// <summary>
/// Collects consumer lag for <see cref="ConsumerInstruments"/> every <see cref="MetricsOptions.LagInterval"/>. The
/// groups are shared out among the active brokers by a stable hash of the group name, so each group is collected by
/// one broker (one <c>GetLag</c> call per group and interval in the whole cluster) and its series come from that
/// broker; aggregate across instances with <c>max by (group, topic)</c>. While membership changes, a group can be
/// reported by two brokers or none for one interval.
/// </summary>
/// <remarks>Runs from <see cref="ServiceLifecycleStage.Active"/> until the silo stops; one collection at a time.</remarks>
internal sealed partial class ConsumerLagCollector(
    IGrainFactory grains,
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    IOptions<MetricsOptions> options,
    ConsumerInstruments instruments,
    TimeProvider time,
    ILogger<ConsumerLagCollector> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private bool _warnedCap;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ConsumerLagCollector), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>Collects once, now: the lags of the groups this broker collects.</summary>
    public async Task CollectAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var groups = await grains.GetGrain<IConsumerGroupRegistryGrain>(0).ListAsync();
        var brokers = ActiveBrokers();
        var lags = new List<GroupTopicLag>();
        foreach (var group in groups)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!IsCollectedHere(group, brokers))
            {
                continue;
            }

            QueueLag[] queues;
            try
            {
                queues = await grains.GetGrain<IConsumerGroupGrain>(group).GetLagAsync().WaitAsync(settings.LagInterval, time, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogGroupFailed(group, e.GetType().Name, e.Message);
                continue;
            }

            Aggregate(group, queues, lags);
        }

        if (lags.Count > settings.MaxLagSeries)
        {
            if (!_warnedCap)
            {
                _warnedCap = true;
                LogCapped(lags.Count, settings.MaxLagSeries);
            }

            lags.Sort(static (a, b) => b.Lag.CompareTo(a.Lag));
            lags.RemoveRange(settings.MaxLagSeries, lags.Count - settings.MaxLagSeries);
        }

        instruments.Publish([.. lags]);
    }

    /// <summary>True when <paramref name="group"/> hashes to this broker among <paramref name="brokers"/> (sorted names).</summary>
    internal bool IsCollectedHere(string group, IReadOnlyList<string> brokers) =>
        brokers.Count == 0 || string.Equals(brokers[(int)(StableHash(group) % (uint)brokers.Count)], silo.Name, StringComparison.Ordinal);

    private static void Aggregate(string group, QueueLag[] queues, List<GroupTopicLag> into)
    {
        var first = into.Count;
        foreach (var queue in queues)
        {
            if (queue.Lag < 0)
            {
                continue; // The queue's broker is down: unknown, not zero.
            }

            var age = queue.OldestUnconsumedAge?.TotalSeconds ?? 0;
            var index = into.FindIndex(first, l => string.Equals(l.Topic, queue.Topic, StringComparison.Ordinal));
            if (index < 0)
            {
                into.Add(new GroupTopicLag(group, queue.Topic, queue.Lag, age));
            }
            else
            {
                var current = into[index];
                into[index] = current with { Lag = current.Lag + queue.Lag, OldestAgeSeconds = Math.Max(current.OldestAgeSeconds, age) };
            }
        }
    }

    /// <summary>FNV-1a over UTF-16 code units: the same on every broker (string.GetHashCode is randomized per process).</summary>
    private static uint StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }

    private List<string> ActiveBrokers()
    {
        var names = new List<string>();
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active)
            {
                names.Add(member.Name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.LagInterval > TimeSpan.Zero)
        {
            _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        try
        {
            await _loop.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.LagInterval, time);
        do
        {
            try
            {
                await CollectAsync(cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogCollectFailed(e.GetType().Name, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    [LoggerMessage(1, LogLevel.Warning, "Consumer lag of group {Group} could not be collected: {Error}: {Message}")]
    private partial void LogGroupFailed(string group, string error, string message);

    [LoggerMessage(2, LogLevel.Warning, "Consumer lag collection failed: {Error}: {Message}")]
    private partial void LogCollectFailed(string error, string message);

    [LoggerMessage(3, LogLevel.Warning, "{Count} consumer lag series exceed OrleansMq:Metrics:MaxLagSeries ({Max}); only the largest lags are exported")]
    private partial void LogCapped(int count, int max);
}
