using Microsoft.Extensions.Options;
using OrleansMq.Grains.Brokers;
using OrleansMq.Grains.Consumers;
using OrleansMq.Silo.Operations;

namespace OrleansMq.Silo.Console;

/// <summary>
/// Samples the cluster for the console while someone uses it: every broker's cumulative traffic (turned into
/// messages/s and bytes/s per broker and per topic) and every consumer group's lag, keeping
/// <see cref="OperationsOptions.ConsoleHistory"/> of history for the charts. It sleeps when no console API request came
/// for <see cref="OperationsOptions.ConsoleIdleAfter"/>, so an unused console costs nothing.
/// </summary>
/// <remarks>
/// Thread-safe: one loop writes, API requests read. A sample costs one <c>GetStats</c> call per live broker and one
/// <c>GetLag</c> call per group (at most <see cref="OperationsOptions.ConsoleMaxGroups"/>, 8 at a time).
/// </remarks>
internal sealed partial class ConsoleSampler(
    ConsoleAdmin admin,
    IOptions<OperationsOptions> options,
    TimeProvider time,
    ILogger<ConsoleSampler> logger) : BackgroundService
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, BrokerStats> _previous = new(StringComparer.Ordinal);
    private readonly Queue<RatePoint> _rates = new();
    private readonly Dictionary<string, Queue<LagPoint>> _lagHistory = new(StringComparer.Ordinal);
    private long _lastUsed = long.MinValue;
    private int _active;
    private Sample _latest = Sample.Empty;

    private OperationsOptions Settings => options.Value;

    private int HistoryLength => (int)Math.Max(2, Settings.ConsoleHistory / Settings.ConsoleSampleInterval);

    /// <summary>The latest sample (empty before the first).</summary>
    public Sample Latest => Volatile.Read(ref _latest);

    /// <summary>Marks the console as in use, waking the sampler when it slept.</summary>
    public void Touch()
    {
        Volatile.Write(ref _lastUsed, time.GetTimestamp());
        if (Interlocked.CompareExchange(ref _active, 1, 0) == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>Cluster-wide messages/s in and out over the kept history, oldest first.</summary>
    public RatePoint[] RateHistory()
    {
        lock (_gate)
        {
            return [.. _rates];
        }
    }

    /// <summary>A group's total lag over the kept history, oldest first.</summary>
    public LagPoint[] LagHistory(string group)
    {
        lock (_gate)
        {
            return _lagHistory.TryGetValue(group, out var points) ? [.. points] : [];
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            if (IsIdle())
            {
                Volatile.Write(ref _active, 0);
                if (IsIdle() || Interlocked.CompareExchange(ref _active, 1, 0) != 0)
                {
                    await _wake.WaitAsync(stoppingToken);
                }
            }

            try
            {
                await SampleAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Not started yet, or the cluster is changing: the next sample tries again.
                LogSampleFailed(e.GetType().Name, e.Message);
            }

            await Task.Delay(Settings.ConsoleSampleInterval, time, stoppingToken);
        }
    }

    private bool IsIdle()
    {
        var last = Volatile.Read(ref _lastUsed);
        return last == long.MinValue || time.GetElapsedTime(last) > Settings.ConsoleIdleAfter;
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow();
        var brokers = await admin.Admin.ListBrokersAsync();
        var stats = await Task.WhenAll(brokers.Select(b => ReadStatsAsync(b, cancellationToken)));

        var groups = (await admin.Admin.ListGroupsAsync()).Take(Settings.ConsoleMaxGroups).ToArray();
        using var limit = new SemaphoreSlim(8);
        var lags = await Task.WhenAll(groups.Select(g => ReadLagAsync(g, limit, cancellationToken)));

        lock (_gate)
        {
            var brokerSamples = new Dictionary<string, BrokerSample>(StringComparer.Ordinal);
            var topicRates = new Dictionary<string, Rates>(StringComparer.Ordinal);
            for (var i = 0; i < brokers.Count; i++)
            {
                var (current, error) = stats[i];
                Rates? rates = null;
                if (current is not null)
                {
                    if (_previous.TryGetValue(brokers[i].Name, out var previous) && previous.StartedAt == current.StartedAt && current.SampledAt > previous.SampledAt)
                    {
                        rates = AddRates(previous, current, topicRates);
                    }

                    _previous[brokers[i].Name] = current;
                }

                brokerSamples[brokers[i].Name] = new BrokerSample(brokers[i], current, rates, error);
            }

            var groupSamples = new Dictionary<string, GroupSample>(StringComparer.Ordinal);
            var history = HistoryLength;
            for (var i = 0; i < groups.Length; i++)
            {
                var (queues, error) = lags[i];
                groupSamples[groups[i]] = new GroupSample(groups[i], queues, error);
                if (queues is not null)
                {
                    if (!_lagHistory.TryGetValue(groups[i], out var points))
                    {
                        _lagHistory[groups[i]] = points = new Queue<LagPoint>();
                    }

                    Append(points, new LagPoint(at, TotalLag(queues)), history);
                }
            }

            foreach (var gone in _lagHistory.Keys.Where(g => !groupSamples.ContainsKey(g)).ToList())
            {
                _lagHistory.Remove(gone);
            }

            var totalIn = brokerSamples.Values.Sum(b => b.Rates?.MessagesIn ?? 0);
            var totalOut = brokerSamples.Values.Sum(b => b.Rates?.MessagesOut ?? 0);
            if (brokerSamples.Values.Any(b => b.Rates is not null))
            {
                Append(_rates, new RatePoint(at, totalIn, totalOut), history);
            }

            Volatile.Write(ref _latest, new Sample(at, brokerSamples, topicRates, groupSamples));
        }
    }

    private static Rates AddRates(BrokerStats previous, BrokerStats current, Dictionary<string, Rates> topicRates)
    {
        var seconds = (current.SampledAt - previous.SampledAt).TotalSeconds;
        var before = previous.Topics.ToDictionary(t => t.Topic, StringComparer.Ordinal);
        double mIn = 0, mOut = 0, bIn = 0, bOut = 0;
        foreach (var topic in current.Topics)
        {
            var old = before.GetValueOrDefault(topic.Topic);
            var rate = new Rates(
                Math.Max(0, topic.MessagesIn - (old?.MessagesIn ?? 0)) / seconds,
                Math.Max(0, topic.MessagesOut - (old?.MessagesOut ?? 0)) / seconds,
                Math.Max(0, topic.BytesIn - (old?.BytesIn ?? 0)) / seconds,
                Math.Max(0, topic.BytesOut - (old?.BytesOut ?? 0)) / seconds);
            mIn += rate.MessagesIn;
            mOut += rate.MessagesOut;
            bIn += rate.BytesIn;
            bOut += rate.BytesOut;
            topicRates[topic.Topic] = topicRates.TryGetValue(topic.Topic, out var sum) ? sum + rate : rate;
        }

        return new Rates(mIn, mOut, bIn, bOut);
    }

    internal static long TotalLag(IReadOnlyList<QueueLag> queues)
    {
        long total = 0;
        foreach (var queue in queues)
        {
            total += Math.Max(0, queue.Lag);
        }

        return total;
    }

    private static void Append<T>(Queue<T> points, T point, int capacity)
    {
        points.Enqueue(point);
        while (points.Count > capacity)
        {
            points.Dequeue();
        }
    }

    private async Task<(BrokerStats? Stats, string? Error)> ReadStatsAsync(BrokerInfo broker, CancellationToken cancellationToken)
    {
        if (!broker.IsAlive)
        {
            return (null, "not an active cluster member");
        }

        try
        {
            return (await admin.Admin.GetBrokerStatsAsync(broker.Name).WaitAsync(CallTimeout, time, cancellationToken), null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, e.Message);
        }
    }

    private async Task<(QueueLag[]? Lag, string? Error)> ReadLagAsync(string group, SemaphoreSlim limit, CancellationToken cancellationToken)
    {
        await limit.WaitAsync(cancellationToken);
        try
        {
            return ([.. await admin.Admin.GetGroupLagAsync(group).WaitAsync(CallTimeout, time, cancellationToken)], null);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, e.Message);
        }
        finally
        {
            limit.Release();
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "Console sample failed: {Error}: {Message}")]
    private partial void LogSampleFailed(string error, string message);

    /// <summary>Messages/s and bytes/s in and out.</summary>
    internal sealed record Rates(double MessagesIn, double MessagesOut, double BytesIn, double BytesOut)
    {
        public static Rates operator +(Rates a, Rates b) =>
            new(a.MessagesIn + b.MessagesIn, a.MessagesOut + b.MessagesOut, a.BytesIn + b.BytesIn, a.BytesOut + b.BytesOut);
    }

    /// <summary>One broker in a sample: its registration, its stats (null when unreachable) and its rates (from the second sample on).</summary>
    internal sealed record BrokerSample(BrokerInfo Info, BrokerStats? Stats, Rates? Rates, string? Error);

    /// <summary>One group in a sample: its lag per queue (null when it could not be read).</summary>
    internal sealed record GroupSample(string Group, QueueLag[]? Lag, string? Error);

    /// <summary>Cluster-wide messages/s in and out at a time.</summary>
    internal sealed record RatePoint(DateTimeOffset At, double In, double Out);

    /// <summary>A group's total lag at a time.</summary>
    internal sealed record LagPoint(DateTimeOffset At, long Lag);

    /// <summary>What one sampling round saw.</summary>
    internal sealed record Sample(
        DateTimeOffset? At,
        IReadOnlyDictionary<string, BrokerSample> Brokers,
        IReadOnlyDictionary<string, Rates> Topics,
        IReadOnlyDictionary<string, GroupSample> Groups)
    {
        public static Sample Empty { get; } = new(null, new Dictionary<string, BrokerSample>(), new Dictionary<string, Rates>(), new Dictionary<string, GroupSample>());
    }
}
