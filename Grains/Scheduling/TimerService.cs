using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansMq.Grains.Brokers;
using OrleansMq.Grains.Hosting;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Naming;
using OrleansMq.Grains.Queues;
using OrleansMq.Grains.Routing;
using OrleansMq.Storage;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Scheduling;

/// <summary>
/// The broker's delay and timer messages. A scheduled message is stored, durably and at once, as a record in the
/// broker-local topic <see cref="SystemTopics.Timer"/> (queue 0) carrying its real queue and delivery time; an
/// in-memory index orders pending records by due time. When due, the message is appended to its real queue, then a
/// "done" marker (queue 1) records it; a cancel writes a "cancel" marker. On start the index is rebuilt from queue 0
/// minus the markers, so timers survive restarts; a timer delivered just before a crash, whose marker was not yet
/// written, is delivered again (at-least-once). Records older than <see cref="TimerOptions.RerollAge"/> are
/// copied forward so retention can drop old log segments while long timers wait.
/// </summary>
/// <remarks>
/// Memory: 52 bytes per pending timer at exact capacity (a 32-byte dictionary entry plus its 4-byte bucket, and a
/// 16-byte heap entry, none holding references, so the GC does not scan them); both grow by doubling, so 52-104 bytes.
/// The W5 benchmark measured 48-84 MB of anonymous memory for a million pending timers (<c>docs/benchmarks.md</c>).
/// Time comes from the <see cref="SchedulingClock"/>, so tests can drive it. Thread-safe.
/// </remarks>
internal sealed partial class TimerService(
    BrokerStore brokerStore,
    IGrainFactory grainFactory,
    IOptions<TimerOptions> options,
    SchedulingClock clock,
    Diagnostics.BrokerInstruments instruments,
    ILogger<TimerService> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private const int TimerQueue = 0;
    private const int ControlQueue = 1;

    private readonly Lock _gate = new();
    private readonly Dictionary<long, Pending> _pending = [];
    private readonly PriorityQueue<long, long> _due = new();
    private DueLoop? _loop;
    private long _rerollCursor;
    private long _lastRerollCheck = long.MinValue;

    /// <summary>Timers waiting for their time.</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    private TimerOptions Settings => options.Value;

    private MessageStore Store => brokerStore.Store;

    private TimeProvider Time => clock.Time;

    private long Now => Time.GetUtcNow().ToUnixTimeMilliseconds();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(TimerService), ServiceLifecycleStage.ApplicationServices + 1, StartAsync, StopAsync);

    /// <summary>
    /// Appends a batch some of whose entries are scheduled: immediate entries go to the queue, scheduled ones to the
    /// timer queue. Results keep batch order; a scheduled message's queue offset is -1 until it is delivered.
    /// </summary>
    public async Task<AppendResponse> AppendAsync(string topic, int queueId, ReadOnlyMemory<byte> batch, CancellationToken cancellationToken)
    {
        var store = Store;
        var now = Now;
        var immediate = new ArrayBufferWriter<byte>(batch.Length);
        var timers = new ArrayBufferWriter<byte>(batch.Length + 256);
        var immediateIndex = new List<int>();
        var timerIndex = new List<(int Index, long DeliverAt)>();
        var results = new List<AppendedMessage>();
        string? error = null;
        var reader = new MessageBatchReader(batch.Span);
        for (var i = 0; reader.TryRead(out var entry); i++)
        {
            results.Add(default);
            var (deliverAt, problem) = (entry.Flags & MessageFlags.Scheduled) != 0
                ? TimerRecords.ResolveDeliverAt(entry.Properties, now, Settings.MaxDelay)
                : (now, null);
            if (problem is not null)
            {
                results[i] = new AppendedMessage(SendStatus.MessageIllegal, -1, -1);
                error ??= problem;
            }
            else if (deliverAt <= now)
            {
                MessageBatchWriter.Write(immediate, entry.BornTimestamp, entry.Flags & ~MessageFlags.Scheduled, entry.Properties, entry.Body);
                immediateIndex.Add(i);
            }
            else
            {
                var properties = TimerRecords.TimerProperties(entry.Properties, topic, queueId, deliverAt);
                MessageBatchWriter.Write(timers, entry.BornTimestamp, entry.Flags, properties, entry.Body);
                timerIndex.Add((i, deliverAt));
            }
        }

        var status = error is null ? SendStatus.Ok : SendStatus.MessageIllegal;
        if (immediateIndex.Count > 0)
        {
            var stored = await store.AppendAsync(topic, queueId, immediate.WrittenMemory, cancellationToken);
            status = Merge(status, stored, immediateIndex.Select(i => i), results);
            if (stored.Status is AppendStatus.Ok or AppendStatus.FlushTimeout)
            {
                instruments.Appended(topic, immediateIndex.Count, immediate.WrittenCount);
            }
        }

        if (timerIndex.Count > 0)
        {
            var stored = await store.AppendAsync(SystemTopics.Timer, TimerQueue, timers.WrittenMemory, cancellationToken);
            status = Merge(status, stored, timerIndex.Select(t => t.Index), results);
            var earliest = long.MaxValue;
            lock (_gate)
            {
                for (var k = 0; k < timerIndex.Count && k < stored.Messages.Length; k++)
                {
                    var m = stored.Messages[k];
                    if (m.Status is AppendStatus.Ok or AppendStatus.FlushTimeout)
                    {
                        Add(m.QueueOffset, m.LogOffset, timerIndex[k].DeliverAt);
                        results[timerIndex[k].Index] = new AppendedMessage(StatusMapping.ToSendStatus(m.Status), m.LogOffset, -1);
                        earliest = Math.Min(earliest, timerIndex[k].DeliverAt);
                    }
                }
            }

            if (earliest != long.MaxValue)
            {
                Wake();
            }
        }

        return new AppendResponse(status, store.StoreId, [.. results], error ?? (status == SendStatus.Ok ? null : StatusMapping.Describe(ToAppendStatus(status), brokerStore.BrokerName, store)));
    }

    /// <summary>Cancels a pending timer by the log offset of its record; false when it is not (or no longer) pending.</summary>
    public async Task<bool> CancelAsync(long logOffset)
    {
        if (!Store.TryReadMessage(logOffset, out var record) || record.Topic != SystemTopics.Timer || record.QueueId != TimerQueue)
        {
            return false;
        }

        lock (_gate)
        {
            if (!_pending.Remove(record.QueueOffset))
            {
                return false;
            }
        }

        await WriteControlAsync(TimerRecords.Cancel, [record.QueueOffset]);
        LogCancelled(record.QueueOffset, logOffset);
        return true;
    }

    /// <summary>Completes once every timer due at or before <paramref name="timestamp"/> (Unix ms) has been handled (tests).</summary>
    internal Task WaitProcessedAsync(long timestamp) => Loop.WaitProcessedAsync(timestamp);

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Recover();
        LogRecovered(PendingCount, clock.ElapsedMilliseconds);
        Loop.Start(PassAsync);
        await Task.CompletedTask;
    }

    private Task StopAsync(CancellationToken cancellationToken) => Loop.StopAsync();

    /// <summary>Rebuilds the pending index: every record of the timer queue, minus those a marker says are done or cancelled.</summary>
    private void Recover()
    {
        var store = Store;
        var timers = store.GetQueueRange(SystemTopics.Timer, TimerQueue);
        lock (_gate)
        {
            _rerollCursor = timers.Min;
            foreach (var record in store.ReadForward(SystemTopics.Timer, TimerQueue, timers.Min))
            {
                Add(record.QueueOffset, record.LogOffset, TimerRecords.DeliverAtOf(record.Properties.Span));
            }

            var control = store.GetQueueRange(SystemTopics.Timer, ControlQueue);
            foreach (var marker in store.ReadForward(SystemTopics.Timer, ControlQueue, control.Min))
            {
                foreach (var queueOffset in TimerRecords.ReadControl(marker.Body))
                {
                    _pending.Remove(queueOffset);
                }
            }
        }
    }

    private void Add(long queueOffset, long logOffset, long deliverAt)
    {
        _pending[queueOffset] = new Pending(deliverAt, logOffset);
        _due.Enqueue(queueOffset, deliverAt);
    }

    private DueLoop Loop => LazyInitializer.EnsureInitialized(ref _loop, () => new DueLoop(() => Time, LogLoopFailed));

    private void Wake() => Loop.Wake();

    /// <summary>One pass of the loop: delivers what is due, or re-rolls old records and says how long to sleep.</summary>
    private async Task<(long ProcessedUntil, TimeSpan Wait)?> PassAsync()
    {
        List<(long QueueOffset, Pending Timer)> due;
        long now;
        long next;
        lock (_gate)
        {
            now = Now;
            due = TakeDue(now);
            next = PeekNext();
        }

        if (due.Count > 0)
        {
            await DeliverAsync(due);
            return null;
        }

        await RerollIfDueAsync(now);
        var wait = next == long.MaxValue ? Settings.RerollCheckInterval : TimeSpan.FromMilliseconds(Math.Max(1, next - now));
        return (now, wait > Settings.RerollCheckInterval ? Settings.RerollCheckInterval : wait);
    }

    private List<(long QueueOffset, Pending Timer)> TakeDue(long now)
    {
        var due = new List<(long, Pending)>();
        while (due.Count < Settings.DeliveryBatchSize && _due.TryPeek(out var queueOffset, out var deliverAt) && deliverAt <= now)
        {
            _due.Dequeue();
            if (_pending.TryGetValue(queueOffset, out var timer) && timer.DeliverAt == deliverAt)
            {
                due.Add((queueOffset, timer));
            }
        }

        return due;
    }

    private long PeekNext()
    {
        while (_due.TryPeek(out var queueOffset, out var deliverAt))
        {
            if (_pending.TryGetValue(queueOffset, out var timer) && timer.DeliverAt == deliverAt)
            {
                return deliverAt;
            }

            _due.Dequeue(); // Delivered or cancelled: drop lazily.
        }

        return long.MaxValue;
    }

    /// <summary>Appends due messages to their real queues (grouped per queue), then records them as done.</summary>
    private async Task DeliverAsync(List<(long QueueOffset, Pending Timer)> due)
    {
        var store = Store;
        var batches = new Dictionary<(string Topic, int QueueId), (ArrayBufferWriter<byte> Batch, List<long> QueueOffsets)>();
        var done = new List<long>();
        foreach (var (queueOffset, timer) in due)
        {
            if (!store.TryReadMessage(timer.LogOffset, out var record))
            {
                LogTimerLost(queueOffset, timer.LogOffset);
                done.Add(queueOffset);
                continue;
            }

            var (topic, queueId, properties) = TimerRecords.ForDelivery(record.Properties.Span);
            if (!batches.TryGetValue((topic, queueId), out var target))
            {
                target = (new ArrayBufferWriter<byte>(), []);
                batches[(topic, queueId)] = target;
            }

            MessageBatchWriter.Write(target.Batch, record.BornTimestamp, record.Flags & ~MessageFlags.Scheduled, properties, record.Body.Span);
            target.QueueOffsets.Add(queueOffset);
        }

        // All target queues at once: their appends share one group commit and the route lookups (one per topic)
        // overlap. Done one queue after another, a pass cost a route call plus a durable append per queue, ~1 ms
        // each here: W5 measured timer lateness p50 1.5 ms with one target queue and 11-15 ms with 16, and 1,000
        // queues due together would have taken over a second per pass.
        var routes = new Dictionary<string, Task<TopicRoute?>>(StringComparer.Ordinal);
        var targets = new List<((string Topic, int QueueId) Queue, ArrayBufferWriter<byte> Batch, List<long> QueueOffsets)>(batches.Count);
        var deliveries = new Task<(AppendStatus? Status, Exception? Error)>[batches.Count];
        foreach (var ((topic, queueId), (batch, queueOffsets)) in batches)
        {
            if (!routes.TryGetValue(topic, out var route))
            {
                route = grainFactory.GetGrain<ITopicRouteGrain>(topic).GetRouteAsync();
                routes[topic] = route;
            }

            deliveries[targets.Count] = AppendIfLocalAsync(store, route, topic, queueId, batch);
            targets.Add(((topic, queueId), batch, queueOffsets));
        }

        await Task.WhenAll(deliveries);
        var retry = new List<(long QueueOffset, Pending Timer)>();
        for (var i = 0; i < targets.Count; i++)
        {
            var ((topic, queueId), batch, queueOffsets) = targets[i];
            var (status, error) = deliveries[i].Result;
            if (error is null && status is null)
            {
                LogDroppedNoQueue(queueOffsets.Count, topic, queueId);
                done.AddRange(queueOffsets);
            }
            else if (status is AppendStatus.Ok or AppendStatus.FlushTimeout)
            {
                done.AddRange(queueOffsets);
                instruments.Appended(topic, queueOffsets.Count, batch.WrittenCount);
            }
            else
            {
                // Disk full, I/O error, closing, a failed route call: keep them pending (they left the due heap in
                // TakeDue, so they must go back into it) and try again shortly.
                if (error is not null)
                {
                    LogDeliveryError(error, queueOffsets.Count, topic, queueId);
                }
                else
                {
                    LogDeliveryFailed(queueOffsets.Count, topic, queueId, status!.Value);
                }

                foreach (var queueOffset in queueOffsets)
                {
                    retry.Add((queueOffset, due.Find(d => d.QueueOffset == queueOffset).Timer));
                }
            }
        }

        if (done.Count > 0)
        {
            await WriteControlAsync(TimerRecords.Done, done);
            lock (_gate)
            {
                foreach (var queueOffset in done)
                {
                    _pending.Remove(queueOffset);
                }
            }

            LogDelivered(done.Count, batches.Count);
        }

        if (retry.Count > 0)
        {
            lock (_gate)
            {
                var later = Now + 1000;
                foreach (var (queueOffset, timer) in retry)
                {
                    _pending[queueOffset] = timer with { DeliverAt = later };
                    _due.Enqueue(queueOffset, later);
                }
            }
        }
    }

    /// <summary>
    /// Appends a due batch to its queue when the queue still exists and this broker owns it (a topic may have been
    /// deleted meanwhile). Returns (null, null) when it does not, the append's status, or the exception of a failed
    /// route call or append (never thrown: the other queues of the pass are delivered regardless).
    /// </summary>
    private async Task<(AppendStatus? Status, Exception? Error)> AppendIfLocalAsync(MessageStore store, Task<TopicRoute?> routeLookup, string topic, int queueId, ArrayBufferWriter<byte> batch)
    {
        try
        {
            var route = await routeLookup;
            if (route is null || (uint)queueId >= (uint)route.Queues.Length || route.Queues[queueId].Broker != brokerStore.BrokerName)
            {
                return (null, null);
            }

            return ((await store.AppendAsync(topic, queueId, batch.WrittenMemory)).Status, null);
        }
        catch (Exception e)
        {
            return (null, e);
        }
    }

    /// <summary>Copies pending records older than the re-roll age to the head of the timer queue.</summary>
    private async Task RerollIfDueAsync(long now)
    {
        if (now - _lastRerollCheck < (long)Settings.RerollCheckInterval.TotalMilliseconds)
        {
            return;
        }

        _lastRerollCheck = now;
        var store = Store;
        var cutoff = now - (long)Settings.RerollAge.TotalMilliseconds;
        var copies = new ArrayBufferWriter<byte>();
        var old = new List<(long QueueOffset, Pending Timer)>();
        var cursor = _rerollCursor;
        foreach (var record in store.ReadForward(SystemTopics.Timer, TimerQueue, cursor))
        {
            if (record.StoreTimestamp > cutoff || old.Count >= Settings.DeliveryBatchSize)
            {
                break;
            }

            cursor = record.QueueOffset + 1;
            Pending timer;
            lock (_gate)
            {
                if (!_pending.TryGetValue(record.QueueOffset, out timer))
                {
                    continue;
                }
            }

            MessageBatchWriter.Write(copies, record.BornTimestamp, record.Flags, record.Properties.Span, record.Body.Span);
            old.Add((record.QueueOffset, timer));
        }

        if (old.Count > 0)
        {
            var stored = await store.AppendAsync(SystemTopics.Timer, TimerQueue, copies.WrittenMemory);
            if (stored.Status is not (AppendStatus.Ok or AppendStatus.FlushTimeout))
            {
                LogDeliveryFailed(old.Count, SystemTopics.Timer, TimerQueue, stored.Status);
                return;
            }

            lock (_gate)
            {
                for (var i = 0; i < old.Count; i++)
                {
                    _pending.Remove(old[i].QueueOffset);
                    Add(stored.Messages[i].QueueOffset, stored.Messages[i].LogOffset, old[i].Timer.DeliverAt);
                }
            }

            await WriteControlAsync(TimerRecords.Done, old.ConvertAll(o => o.QueueOffset));
            LogRerolled(old.Count);
        }

        _rerollCursor = cursor;
    }

    private async Task WriteControlAsync(string kind, IReadOnlyList<long> queueOffsets)
    {
        var batch = new ArrayBufferWriter<byte>(queueOffsets.Count * 8 + 64);
        TimerRecords.WriteControl(batch, kind, queueOffsets, Now);
        var stored = await Store.AppendAsync(SystemTopics.Timer, ControlQueue, batch.WrittenMemory);
        if (stored.Status is not (AppendStatus.Ok or AppendStatus.FlushTimeout))
        {
            // Without the marker a restart would deliver these again: at-least-once, so log and go on.
            LogControlFailed(kind, queueOffsets.Count, stored.Status);
        }
    }

    private static AppendStatus ToAppendStatus(SendStatus status) => status switch
    {
        SendStatus.Ok => AppendStatus.Ok,
        SendStatus.FlushDiskTimeout => AppendStatus.FlushTimeout,
        SendStatus.DiskFull => AppendStatus.DiskFull,
        SendStatus.MessageIllegal => AppendStatus.MessageIllegal,
        SendStatus.BodyTooLarge => AppendStatus.BodyTooLarge,
        SendStatus.PropertiesTooLarge => AppendStatus.PropertiesTooLarge,
        SendStatus.ServiceUnavailable => AppendStatus.StoreClosed,
        _ => AppendStatus.IoError,
    };

    /// <summary>Copies per-message results of one store append into their batch positions; returns the combined status.</summary>
    private static SendStatus Merge(SendStatus status, AppendResult stored, IEnumerable<int> positions, List<AppendedMessage> results)
    {
        var k = 0;
        foreach (var position in positions)
        {
            results[position] = k < stored.Messages.Length
                ? new AppendedMessage(StatusMapping.ToSendStatus(stored.Messages[k].Status), stored.Messages[k].LogOffset, stored.Messages[k].QueueOffset)
                : new AppendedMessage(StatusMapping.ToSendStatus(stored.Status), -1, -1);
            k++;
        }

        return status == SendStatus.Ok ? StatusMapping.ToSendStatus(stored.Status) : status;
    }

    [LoggerMessage(1, LogLevel.Information, "Timer service recovered {Count} pending timers in {Milliseconds} ms")]
    private partial void LogRecovered(int count, long milliseconds);

    [LoggerMessage(2, LogLevel.Debug, "Delivered {Count} timer messages to {Queues} queues")]
    private partial void LogDelivered(int count, int queues);

    [LoggerMessage(3, LogLevel.Warning, "Timer at queue offset {QueueOffset} (log offset {LogOffset}) is no longer in the log; dropped")]
    private partial void LogTimerLost(long queueOffset, long logOffset);

    [LoggerMessage(4, LogLevel.Warning, "{Count} timer messages for {Topic}/{QueueId} dropped: the queue no longer exists on this broker")]
    private partial void LogDroppedNoQueue(int count, string topic, int queueId);

    [LoggerMessage(5, LogLevel.Warning, "Delivering {Count} timer messages to {Topic}/{QueueId} failed ({Status}); retrying in 1 s")]
    private partial void LogDeliveryFailed(int count, string topic, int queueId, AppendStatus status);

    [LoggerMessage(6, LogLevel.Information, "Copied {Count} long-pending timers forward in the log")]
    private partial void LogRerolled(int count);

    [LoggerMessage(7, LogLevel.Warning, "Writing a timer {Kind} marker for {Count} timers failed ({Status}); they may be delivered again after a restart")]
    private partial void LogControlFailed(string kind, int count, AppendStatus status);

    [LoggerMessage(8, LogLevel.Error, "Timer loop failed; retrying")]
    private partial void LogLoopFailed(Exception exception);

    [LoggerMessage(9, LogLevel.Debug, "Cancelled timer at queue offset {QueueOffset} (log offset {LogOffset})")]
    private partial void LogCancelled(long queueOffset, long logOffset);

    [LoggerMessage(10, LogLevel.Warning, "Delivering {Count} timer messages to {Topic}/{QueueId} failed; retrying in 1 s")]
    private partial void LogDeliveryError(Exception exception, int count, string topic, int queueId);

    private readonly record struct Pending(long DeliverAt, long LogOffset);
}
