using Microsoft.Extensions.Logging;
using OrleansMq.Client.Messages;
using OrleansMq.Grains;
using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Messages;

namespace OrleansMq.Client.Consuming.Internal;

/// <summary>
/// A member of a clustering consumer group: registers with the group grain, applies the assignments it is pushed
/// (or reads from heartbeats), gives up queues it loses only after finishing their cached messages and committing,
/// commits offsets every <see cref="PushConsumerOptions.CommitInterval"/>, and stops consuming on its own when it has
/// not reached the group for longer than the member expiry (the group has given its queues away by then).
/// </summary>
internal sealed partial class ClusteringSession : ConsumerSession, IConsumerGroupObserver
{
    private readonly IConsumerGroupGrain _group;
    private readonly string _clientId;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _control = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _stopHeartbeats = new();
    private volatile bool _leaving;
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private IConsumerGroupObserver? _reference;
    private volatile string? _memberId;
    private MemberAssignment? _earlyPush;

    // Leases this member released. The group never grants a released lease again, so an assignment that still lists
    // one was computed before the release arrived: starting it would resume from a stale committed offset.
    private readonly HashSet<(string Topic, int QueueId, long Lease)> _released = [];
    private readonly Queue<(string Topic, int QueueId, long Lease)> _releasedOrder = new();
    private long _generation = long.MinValue;
    private TimeSpan _heartbeatInterval = TimeSpan.FromSeconds(10);
    private TimeSpan _expiry = TimeSpan.FromSeconds(30);
    private long _lastContact = Environment.TickCount64;
    private Task _heartbeatLoop = Task.CompletedTask;
    private Task _commitLoop = Task.CompletedTask;

    public ClusteringSession(ConsumeEngine engine, IReadOnlyDictionary<string, FilterExpression> subscriptions, string clientId)
        : base(engine, subscriptions)
    {
        _group = engine.Client.GetGrain<IConsumerGroupGrain>(engine.Options.ConsumerGroup);
        _clientId = clientId;
        _logger = engine.Logger;
    }

    /// <summary>The member id of the current registration.</summary>
    public string? MemberId => _memberId;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _reference = Engine.Client.CreateObjectReference<IConsumerGroupObserver>(this);
        await RegisterAsync();
        _heartbeatLoop = HeartbeatLoopAsync();
        _commitLoop = CommitLoopAsync();
    }

    Task IConsumerGroupObserver.OnAssignmentChanged(MemberAssignment assignment)
    {
        if (_memberId is null)
        {
            // Pushed before RegisterAsync returned our member id: keep the newest, apply it right after registering.
            Interlocked.Exchange(ref _earlyPush, assignment);
            return Task.CompletedTask;
        }

        _ = ApplySafelyAsync(assignment);
        return Task.CompletedTask;
    }

    private async Task RegisterAsync()
    {
        _memberId = null;
        var subscriptions = Subscriptions.Select(s => new Subscription(s.Key, s.Value)).ToArray();
        var assignment = await _group.RegisterAsync(new MemberRegistration(_clientId, subscriptions, ConsumeMode.Clustering, Options.AllocationStrategy, _reference));
        _memberId = assignment.MemberId;
        _heartbeatInterval = assignment.HeartbeatInterval;
        _expiry = assignment.Expiry;
        _generation = long.MinValue;
        _lastContact = Environment.TickCount64;
        LogRegistered(Options.ConsumerGroup, assignment.MemberId, assignment.Queues.Length);
        await ApplyAsync(assignment);
        if (Interlocked.Exchange(ref _earlyPush, null) is { } early && early.MemberId == assignment.MemberId)
        {
            await ApplyAsync(early);
        }
    }

    private async Task ApplySafelyAsync(MemberAssignment assignment)
    {
        try
        {
            await ApplyAsync(assignment);
        }
        catch (Exception e) when (!_leaving)
        {
            LogApplyFailed(Options.ConsumerGroup, e);
        }
    }

    /// <summary>Makes the running queues match the assignment. Serialized: pushes and heartbeats may race.</summary>
    private async Task ApplyAsync(MemberAssignment assignment)
    {
        await _control.WaitAsync();
        try
        {
            if (assignment.MemberId != _memberId || assignment.Generation < _generation || _leaving)
            {
                return; // Stale push, or from a registration we already replaced.
            }

            _generation = assignment.Generation;
            var wanted = assignment.Queues.ToDictionary(q => (q.Topic, q.QueueId));
            var released = new List<OffsetCommit>();
            var stopping = new List<Task>();
            foreach (var (key, queue) in Queues)
            {
                if (wanted.TryGetValue(key, out var lease) && lease.Lease == queue.Lease)
                {
                    continue;
                }

                Queues.TryRemove(key, out _);
                if (lease is null)
                {
                    // Lost: finish what is cached so the next holder does not consume it again, then hand it over.
                    stopping.Add(ReleaseAsync(queue, released));
                }
                else
                {
                    // Same queue, new lease (offset reset): old progress is void; restart from the committed offset below.
                    stopping.Add(queue.StopAsync(TimeSpan.Zero));
                }
            }

            await Task.WhenAll(stopping);

            // Revoked queues this member is not running (it missed the push that granted them): give them back as they are.
            foreach (var lease in assignment.Revoking)
            {
                if (!released.Exists(r => r.Topic == lease.Topic && r.QueueId == lease.QueueId))
                {
                    released.Add(new OffsetCommit(lease.Topic, lease.QueueId, lease.Lease, -1));
                }
            }

            if (released.Count > 0)
            {
                foreach (var release in released)
                {
                    RememberReleased((release.Topic, release.QueueId, release.Lease));
                }

                await _group.ReleaseAsync(_memberId!, [.. released]);
            }

            foreach (var lease in assignment.Queues)
            {
                if (Queues.ContainsKey((lease.Topic, lease.QueueId)) || _released.Contains((lease.Topic, lease.QueueId, lease.Lease)))
                {
                    continue;
                }

                var queue = new MessageQueue(lease.Topic, lease.Broker, lease.QueueId);
                var offset = lease.CommittedOffset;
                if (offset < 0)
                {
                    // Resolve and commit the start before consuming, so a crash cannot make a later holder pick a later start.
                    offset = await ResolveStartOffsetAsync(queue, _started);
                    var result = await _group.CommitAsync(_memberId!, [new OffsetCommit(lease.Topic, lease.QueueId, lease.Lease, offset)]);
                    if (result.Rejected.Length > 0)
                    {
                        continue; // The lease moved on meanwhile; a newer assignment follows.
                    }
                }

                StartQueue(queue, lease.Lease, offset);
            }

            LogApplied(Options.ConsumerGroup, assignment.Generation, Queues.Count);
        }
        finally
        {
            _control.Release();
        }
    }

    private void RememberReleased((string Topic, int QueueId, long Lease) lease)
    {
        const int Remembered = 4096;
        if (_released.Add(lease))
        {
            _releasedOrder.Enqueue(lease);
            if (_releasedOrder.Count > Remembered)
            {
                _released.Remove(_releasedOrder.Dequeue());
            }
        }
    }

    private static async Task ReleaseAsync(QueueConsumer queue, List<OffsetCommit> released)
    {
        var offset = await queue.StopAsync(queue.Engine.Options.ReleaseTimeout);
        lock (released)
        {
            released.Add(new OffsetCommit(queue.Queue.Topic, queue.Queue.QueueId, queue.Lease, offset));
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        while (!_stopHeartbeats.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_heartbeatInterval, _stopHeartbeats.Token);
                var assignment = await _group.HeartbeatAsync(_memberId!);
                _lastContact = Environment.TickCount64;
                if (assignment is null)
                {
                    if (_leaving)
                    {
                        return;
                    }

                    LogForgotten(Options.ConsumerGroup, _memberId!);
                    await AbandonQueuesAsync();
                    await RegisterAsync();
                }
                else if (assignment.Generation != _generation)
                {
                    // Never wait for an apply here: it may be draining a queue for a while, and heartbeats must go on
                    // meanwhile or the group would expire us and hand our queues over mid-drain.
                    _ = ApplySafelyAsync(assignment);
                }
            }
            catch (OperationCanceledException) when (_stopHeartbeats.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogHeartbeatFailed(Options.ConsumerGroup, e.Message);
                if (TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastContact) > _expiry && !Queues.IsEmpty)
                {
                    // The group has removed us and handed our queues on: stop before we consume them twice.
                    LogSelfFenced(Options.ConsumerGroup, Queues.Count);
                    await AbandonQueuesAsync();
                }
            }
        }
    }

    private async Task CommitLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Options.CommitInterval, _stop.Token);
                await CommitAsync();
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogCommitFailed(Options.ConsumerGroup, e.Message);
            }
        }
    }

    private async Task CommitAsync()
    {
        var commits = new List<(QueueConsumer Queue, OffsetCommit Commit)>();
        foreach (var queue in Queues.Values)
        {
            var offset = queue.ProcessQueue.CommittableOffset;
            if (offset >= 0 && offset != queue.LastCommitted)
            {
                commits.Add((queue, new OffsetCommit(queue.Queue.Topic, queue.Queue.QueueId, queue.Lease, offset)));
            }
        }

        if (commits.Count == 0)
        {
            return;
        }

        var result = await _group.CommitAsync(_memberId!, commits.Select(c => c.Commit).ToArray());
        _lastContact = Environment.TickCount64;
        var rejected = result.Rejected.ToHashSet();
        foreach (var (queue, commit) in commits)
        {
            if (!rejected.Contains(commit))
            {
                queue.LastCommitted = commit.Offset;
            }
        }
    }

    private async Task AbandonQueuesAsync()
    {
        await _control.WaitAsync();
        try
        {
            var queues = Queues.Values.ToList();
            Queues.Clear();
            await StopAllAsync(queues, TimeSpan.Zero);
        }
        finally
        {
            _control.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_leaving)
        {
            return;
        }

        // Heartbeats continue while cached messages drain, so the group keeps our queues until we hand them over.
        _leaving = true;
        await _stop.CancelAsync();
        await Swallow(_commitLoop);
        await _control.WaitAsync();
        try
        {
            var finals = new List<OffsetCommit>();
            await Task.WhenAll(Queues.Values.Select(q => ReleaseAsync(q, finals)));
            Queues.Clear();
            if (_memberId is not null)
            {
                await _group.UnregisterAsync(_memberId, [.. finals]);
                LogUnregistered(Options.ConsumerGroup, _memberId, finals.Count);
            }
        }
        catch (Exception e)
        {
            LogCommitFailed(Options.ConsumerGroup, e.Message);
        }
        finally
        {
            _control.Release();
            await _stopHeartbeats.CancelAsync();
            await Swallow(_heartbeatLoop);
            DeleteReference();
        }
    }

    public override async Task AbandonAsync()
    {
        _leaving = true;
        await _stop.CancelAsync();
        await _stopHeartbeats.CancelAsync();
        await Task.WhenAll(Swallow(_heartbeatLoop), Swallow(_commitLoop));
        var queues = Queues.Values.ToList();
        Queues.Clear();
        await StopAllAsync(queues, TimeSpan.Zero);
        DeleteReference();
    }

    private void DeleteReference()
    {
        if (_reference is not null)
        {
            Engine.Client.DeleteObjectReference<IConsumerGroupObserver>(_reference);
            _reference = null;
        }
    }

    private static async Task Swallow(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Joined consumer group {Group} as {Member} with {Count} queues")]
    private partial void LogRegistered(string group, string member, int count);

    [LoggerMessage(2, LogLevel.Debug, "Consumer group {Group}: generation {Generation}, consuming {Count} queues")]
    private partial void LogApplied(string group, long generation, int count);

    [LoggerMessage(3, LogLevel.Warning, "Consumer group {Group}: applying an assignment failed")]
    private partial void LogApplyFailed(string group, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "Consumer group {Group} no longer knows member {Member}; joining again")]
    private partial void LogForgotten(string group, string member);

    [LoggerMessage(5, LogLevel.Warning, "Consumer group {Group}: heartbeat failed: {Reason}")]
    private partial void LogHeartbeatFailed(string group, string reason);

    [LoggerMessage(6, LogLevel.Warning, "Consumer group {Group}: not heard back for longer than the member expiry; stopped {Count} queues")]
    private partial void LogSelfFenced(string group, int count);

    [LoggerMessage(7, LogLevel.Warning, "Consumer group {Group}: committing offsets failed: {Reason}")]
    private partial void LogCommitFailed(string group, string reason);

    [LoggerMessage(8, LogLevel.Information, "Left consumer group {Group} as {Member}, committing {Count} queues")]
    private partial void LogUnregistered(string group, string member, int count);
}
