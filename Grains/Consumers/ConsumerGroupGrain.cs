using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansMq.Grains.Consumers.Allocation;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Filters;
using OrleansMq.Grains.Hosting;
using OrleansMq.Grains.Naming;
using OrleansMq.Grains.Persistence;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Grains.Consumers;

/// <summary>
/// The single place a consumer group's assignment is computed (RocketMQ computes it on every client and suffers when
/// their views disagree). Membership, holdings and pending moves live in memory — members re-register after a
/// reactivation — while committed offsets are persisted.
/// </summary>
/// <remarks>
/// Handover protocol: the allocator computes a target owner per queue. A queue without a live holder is granted at
/// once under a new lease. A queue whose live holder is not the target becomes a pending move: the holder sees it
/// vanish from its assignment, stops, commits and calls <see cref="ReleaseAsync"/>; only then is the queue granted to
/// the target. A holder that goes silent past the expiry is removed and its queues are granted to their targets.
/// Commits are accepted only from the holder under the current lease.
/// </remarks>
internal sealed partial class ConsumerGroupGrain(
    [PersistentState(StateStorage.ConsumerGroup, StateStorage.ProviderName)] IPersistentState<ConsumerGroupState> state,
    IOptions<ConsumerGroupOptions> options,
    TimeProvider time,
    ILogger<ConsumerGroupGrain> logger) : Grain, IConsumerGroupGrain, ITopicRouteObserver
{
    private static readonly TimeSpan RouteRenewInterval = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<QueueRef, Ownership> _owners = [];
    private readonly Dictionary<QueueRef, string?> _pendingMoves = [];
    private readonly Dictionary<string, TopicRoute?> _routes = new(StringComparer.Ordinal);
    private ConsumeMode _mode;
    private AllocationStrategy _strategy;
    private long _counter;
    private long _generation;
    private long _lastRouteRenewal;
    private bool _registered;
    private ITopicRouteObserver? _self;

    private string Group => this.GetPrimaryKeyString();

    private ConsumerGroupOptions Settings => options.Value;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        state.State.Epoch++;
        await state.WriteStateAsync(cancellationToken);
        _generation = state.State.Epoch << 32;
        _self = this.AsReference<ITopicRouteObserver>();
        _lastRouteRenewal = time.GetTimestamp();
        this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(Settings.CheckInterval, Settings.CheckInterval));
    }

    public async Task<MemberAssignment> RegisterAsync(MemberRegistration registration)
    {
        Validate(registration);
        if (_members.Count > 0 && (registration.Mode != _mode || registration.Strategy != _strategy))
        {
            throw new InvalidRequestException(
                $"Consumer group '{Group}' has members consuming in {_mode} mode with the {_strategy} strategy; this consumer asks for "
                + $"{registration.Mode} with {registration.Strategy}. All members of a group must use the same mode and strategy.");
        }

        _mode = registration.Mode;
        _strategy = registration.Strategy;
        var member = new Member($"{registration.ClientId}@{Guid.NewGuid():N}", registration, time.GetTimestamp());
        _members.Add(member.Id, member);
        if (!_registered)
        {
            await GrainFactory.GetGrain<IConsumerGroupRegistryGrain>(0).AddAsync(Group);
            _registered = true;
        }

        foreach (var subscription in registration.Subscriptions)
        {
            await EnsureRouteAsync(subscription.Topic);
        }

        LogMemberJoined(Group, member.Id, _members.Count);
        Rebalance();
        return AssignmentOf(member);
    }

    public Task<MemberAssignment?> HeartbeatAsync(string memberId)
    {
        if (!_members.TryGetValue(memberId, out var member))
        {
            return Task.FromResult<MemberAssignment?>(null);
        }

        member.LastHeard = time.GetTimestamp();
        return Task.FromResult<MemberAssignment?>(AssignmentOf(member));
    }

    public async Task<CommitResult> CommitAsync(string memberId, OffsetCommit[] offsets)
    {
        if (!_members.TryGetValue(memberId, out var member))
        {
            return new CommitResult(0, offsets, KnownMember: false);
        }

        member.LastHeard = time.GetTimestamp();
        var (accepted, rejected) = ApplyCommits(memberId, offsets, release: false);
        if (accepted > 0)
        {
            await state.WriteStateAsync();
        }

        return new CommitResult(accepted, rejected, KnownMember: true);
    }

    public async Task<CommitResult> ReleaseAsync(string memberId, OffsetCommit[] finalOffsets)
    {
        if (!_members.TryGetValue(memberId, out var member))
        {
            return new CommitResult(0, finalOffsets, KnownMember: false);
        }

        member.LastHeard = time.GetTimestamp();
        var (accepted, rejected) = ApplyCommits(memberId, finalOffsets, release: true);
        if (accepted > 0)
        {
            await state.WriteStateAsync();
        }

        Rebalance(force: accepted > 0);
        return new CommitResult(accepted, rejected, KnownMember: true);
    }

    public async Task UnregisterAsync(string memberId, OffsetCommit[] finalOffsets)
    {
        if (!_members.ContainsKey(memberId))
        {
            return;
        }

        var (accepted, _) = ApplyCommits(memberId, finalOffsets, release: false);
        if (accepted > 0)
        {
            await state.WriteStateAsync();
        }

        RemoveMember(memberId, "unregistered");
        Rebalance(force: true);
    }

    public Task<long> GetOffsetAsync(string topic, int queueId) =>
        Task.FromResult(state.State.Offsets.TryGetValue(new QueueRef(topic, queueId).Key, out var offset) ? offset : -1);

    public Task<GroupDescription> DescribeAsync()
    {
        var members = new List<MemberInfo>(_members.Count);
        foreach (var member in _members.Values.OrderBy(m => m.Id, StringComparer.Ordinal))
        {
            var queues = AssignmentOf(member).Queues.Select(q => $"{q.Topic}/{q.QueueId}").ToArray();
            var heard = time.GetUtcNow() - time.GetElapsedTime(member.LastHeard);
            members.Add(new MemberInfo(member.Id, member.Registration.ClientId, member.Registration.Subscriptions, heard, queues));
        }

        var pending = _pendingMoves.Keys.OrderBy(q => q).Select(q => q.ToString()).ToArray();
        return Task.FromResult(new GroupDescription(Group, _mode, _strategy, _generation, [.. members], pending));
    }

    public async Task<QueueLag[]> GetLagAsync()
    {
        var topics = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var member in _members.Values)
        {
            foreach (var subscription in member.Registration.Subscriptions)
            {
                topics.Add(subscription.Topic);
            }
        }

        foreach (var key in state.State.Offsets.Keys)
        {
            topics.Add(QueueRef.ParseKey(key).Topic);
        }

        var result = new List<QueueLag>();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var topic in topics)
        {
            var route = _routes.TryGetValue(topic, out var cached) && cached is not null
                ? cached
                : await GrainFactory.GetGrain<ITopicRouteGrain>(topic).GetRouteAsync();
            if (route is null)
            {
                continue;
            }

            foreach (var queue in route.Queues)
            {
                var reference = new QueueRef(topic, queue.QueueId);
                var committed = state.State.Offsets.TryGetValue(reference.Key, out var c) ? c : -1;
                var owner = _owners.TryGetValue(reference, out var o) ? o.MemberId : null;
                var grain = QueueGrain(topic, queue);
                try
                {
                    var offsets = await grain.GetOffsetsAsync();
                    var from = Math.Max(committed < 0 ? offsets.Min : committed, offsets.Min);
                    var lag = Math.Max(0, offsets.Max - from);
                    TimeSpan? age = null;
                    if (lag > 0)
                    {
                        var oldest = await grain.PullAsync(new Messages.PullRequest(from, 1, 1, null, TimeSpan.Zero));
                        if (oldest.Count > 0 && StoreTimestampOf(oldest.Records) is { } stored)
                        {
                            age = TimeSpan.FromMilliseconds(Math.Max(0, now - stored));
                        }
                    }

                    result.Add(new QueueLag(topic, queue.Broker, queue.QueueId, committed, offsets.Max, lag, age, owner));
                }
                catch (BrokerUnavailableException)
                {
                    result.Add(new QueueLag(topic, queue.Broker, queue.QueueId, committed, -1, -1, null, owner));
                }
            }
        }

        return [.. result];
    }

    public async Task<OffsetCommit[]> ResetOffsetsAsync(string topic, long timestamp)
    {
        var route = await GrainFactory.GetGrain<ITopicRouteGrain>(topic).GetRouteAsync() ?? throw new TopicNotFoundException(topic);
        var reset = new OffsetCommit[route.Queues.Length];
        for (var i = 0; i < reset.Length; i++)
        {
            var queue = route.Queues[i];
            var offset = await QueueGrain(topic, queue).GetOffsetByTimeAsync(timestamp);
            var reference = new QueueRef(topic, queue.QueueId);
            state.State.Offsets[reference.Key] = offset;

            // The holder must restart from the reset offset: a new lease makes it do so and fences its older commits.
            long lease = -1;
            if (_owners.TryGetValue(reference, out var owner))
            {
                lease = NextLease();
                _owners[reference] = owner with { Lease = lease };
            }

            reset[i] = new OffsetCommit(topic, queue.QueueId, lease, offset);
        }

        await state.WriteStateAsync();
        LogOffsetsReset(Group, topic, timestamp);
        _generation++;
        Push();
        return reset;
    }

    public Task OnRouteChanged(string topic, TopicRoute? route)
    {
        if (!_routes.TryGetValue(topic, out var current) || current?.Version != route?.Version)
        {
            _routes[topic] = route;
            Rebalance();
        }

        return Task.CompletedTask;
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        var changed = false;
        foreach (var member in _members.Values.ToList())
        {
            if (time.GetElapsedTime(member.LastHeard) > Settings.MemberExpiry)
            {
                RemoveMember(member.Id, "expired");
                changed = true;
            }
        }

        if (time.GetElapsedTime(_lastRouteRenewal) > RouteRenewInterval)
        {
            _lastRouteRenewal = time.GetTimestamp();
            foreach (var topic in _routes.Keys.ToList())
            {
                try
                {
                    var grain = GrainFactory.GetGrain<ITopicRouteGrain>(topic);
                    await grain.SubscribeAsync(_self!);
                    var route = await grain.GetRouteAsync();
                    if (_routes[topic]?.Version != route?.Version)
                    {
                        _routes[topic] = route;
                        changed = true;
                    }
                }
                catch (Exception e)
                {
                    LogRouteRenewFailed(Group, topic, e);
                }
            }
        }

        Rebalance(force: changed);
    }

    private async Task EnsureRouteAsync(string topic)
    {
        if (_routes.ContainsKey(topic))
        {
            return;
        }

        var grain = GrainFactory.GetGrain<ITopicRouteGrain>(topic);
        await grain.SubscribeAsync(_self!);
        _routes[topic] = await grain.GetRouteAsync();
    }

    private (int Accepted, OffsetCommit[] Rejected) ApplyCommits(string memberId, OffsetCommit[] commits, bool release)
    {
        var accepted = 0;
        List<OffsetCommit>? rejected = null;
        foreach (var commit in commits)
        {
            var queue = new QueueRef(commit.Topic, commit.QueueId);
            if (!_owners.TryGetValue(queue, out var owner) || owner.MemberId != memberId || owner.Lease != commit.Lease)
            {
                (rejected ??= []).Add(commit);
                continue;
            }

            if (commit.Offset >= 0)
            {
                state.State.Offsets[queue.Key] = commit.Offset;
            }

            accepted++;
            if (release)
            {
                if (_pendingMoves.Remove(queue, out var target) && target is not null && _members.ContainsKey(target))
                {
                    Grant(queue, target);
                }
                else
                {
                    _owners.Remove(queue);
                }
            }
        }

        if (rejected is not null)
        {
            LogCommitsFenced(Group, memberId, rejected.Count);
        }

        return (accepted, rejected is null ? [] : [.. rejected]);
    }

    private void RemoveMember(string memberId, string reason)
    {
        _members.Remove(memberId);
        foreach (var (queue, owner) in _owners.ToList())
        {
            if (owner.MemberId == memberId)
            {
                _owners.Remove(queue);
                _pendingMoves.Remove(queue);
            }
        }

        LogMemberLeft(Group, memberId, reason, _members.Count);
    }

    /// <summary>Recomputes targets, grants free queues, marks moves; pushes changed assignments.</summary>
    private void Rebalance(bool force = false)
    {
        var changed = force;
        if (_mode == ConsumeMode.Clustering)
        {
            var targets = ComputeTargets();
            foreach (var (queue, owner) in _owners.ToList())
            {
                if (targets.ContainsKey(queue))
                {
                    continue;
                }

                if (!_members.ContainsKey(owner.MemberId))
                {
                    _owners.Remove(queue);
                    _pendingMoves.Remove(queue);
                    changed = true;
                }
                else if (!_pendingMoves.TryGetValue(queue, out var pending) || pending is not null)
                {
                    _pendingMoves[queue] = null; // nobody should hold it: ask the holder to let go
                    changed = true;
                }
            }

            foreach (var (queue, target) in targets)
            {
                if (!_owners.TryGetValue(queue, out var owner) || !_members.ContainsKey(owner.MemberId))
                {
                    Grant(queue, target);
                    changed = true;
                }
                else if (owner.MemberId == target)
                {
                    changed |= _pendingMoves.Remove(queue);
                }
                else if (!_pendingMoves.TryGetValue(queue, out var pending) || pending != target)
                {
                    _pendingMoves[queue] = target;
                    changed = true;
                }
            }
        }

        if (changed)
        {
            _generation++;
        }

        Push();
    }

    private Dictionary<QueueRef, string> ComputeTargets()
    {
        var targets = new Dictionary<QueueRef, string>();
        if (_members.Count == 0)
        {
            return targets;
        }

        var allocator = QueueAllocator.For(_strategy);
        var current = new Dictionary<QueueRef, string>();
        foreach (var (queue, owner) in _owners)
        {
            current[queue] = _pendingMoves.TryGetValue(queue, out var pending) && pending is not null ? pending : owner.MemberId;
        }

        foreach (var (topic, route) in _routes)
        {
            if (route is null || !route.IsReadable || route.Queues.Length == 0)
            {
                continue;
            }

            var candidates = _members.Values
                .Where(m => m.Registration.Subscriptions.Any(s => s.Topic == topic))
                .Select(m => m.Id)
                .Order(StringComparer.Ordinal)
                .ToList();
            if (candidates.Count == 0)
            {
                continue;
            }

            var queues = route.Queues.Select(q => new QueueRef(topic, q.QueueId)).Order().ToList();
            allocator.Allocate(queues, candidates, current, targets);
        }

        return targets;
    }

    private void Grant(QueueRef queue, string member)
    {
        _owners[queue] = new Ownership(member, NextLease());
        _pendingMoves.Remove(queue);
    }

    private long NextLease() => (state.State.Epoch << 32) | ++_counter;

    /// <summary>Tells every member whose holdings or leases changed; heartbeats carry the same data as a fallback.</summary>
    private void Push()
    {
        foreach (var member in _members.Values)
        {
            var assignment = AssignmentOf(member);
            var signature = string.Join(',', assignment.Queues.Select(q => $"{q.Topic}|{q.QueueId}|{q.Lease}"))
                + ";" + string.Join(',', assignment.Revoking.Select(q => $"{q.Topic}|{q.QueueId}|{q.Lease}"));
            if (signature != member.LastPushed)
            {
                member.LastPushed = signature;
                member.Registration.Observer?.OnAssignmentChanged(assignment).Ignore();
            }
        }
    }

    private MemberAssignment AssignmentOf(Member member)
    {
        var queues = new List<QueueLease>();
        var revoking = new List<QueueLease>();
        foreach (var (queue, owner) in _owners)
        {
            if (owner.MemberId != member.Id || !_routes.TryGetValue(queue.Topic, out var route) || route is null || queue.QueueId >= route.Queues.Length)
            {
                continue;
            }

            var committed = state.State.Offsets.TryGetValue(queue.Key, out var offset) ? offset : -1;
            var lease = new QueueLease(queue.Topic, route.Queues[queue.QueueId].Broker, queue.QueueId, owner.Lease, committed);
            (_pendingMoves.ContainsKey(queue) ? revoking : queues).Add(lease);
        }

        queues.Sort(CompareLeases);
        revoking.Sort(CompareLeases);
        return new MemberAssignment(member.Id, _generation, [.. queues], Settings.HeartbeatInterval, Settings.MemberExpiry, [.. revoking]);
    }

    private static int CompareLeases(QueueLease a, QueueLease b) => new QueueRef(a.Topic, a.QueueId).CompareTo(new QueueRef(b.Topic, b.QueueId));

    private static void Validate(MemberRegistration registration)
    {
        if (string.IsNullOrWhiteSpace(registration.ClientId))
        {
            throw new InvalidRequestException("MemberRegistration.ClientId is empty; give the consumer instance a name.");
        }

        if (registration.Subscriptions is not { Length: > 0 })
        {
            throw new InvalidRequestException("A consumer must subscribe to at least one topic before it starts.");
        }

        var topics = new HashSet<string>(StringComparer.Ordinal);
        foreach (var subscription in registration.Subscriptions)
        {
            if (NameValidator.ValidateTopic(subscription.Topic, allowSystem: true) is { } error)
            {
                throw new InvalidRequestException(error);
            }

            if (!topics.Add(subscription.Topic))
            {
                throw new InvalidRequestException($"Topic '{subscription.Topic}' is subscribed twice; subscribe once with a combined filter.");
            }

            FilterCompiler.Compile(subscription.Filter);
        }
    }

    private static long? StoreTimestampOf(ReadOnlyMemory<byte> records) =>
        Storage.Codec.StoredRecord.TryParse(records.Span, out var record) ? record.StoreTimestamp : null;

    private IMessageQueueGrain QueueGrain(string topic, QueueRoute queue) =>
        GrainFactory.GetGrain<IMessageQueueGrain>(new QueueKey(queue.Broker, topic, queue.QueueId).ToString());

    [LoggerMessage(1, LogLevel.Information, "Consumer group {Group}: member {Member} joined ({Count} members)")]
    private partial void LogMemberJoined(string group, string member, int count);

    [LoggerMessage(2, LogLevel.Information, "Consumer group {Group}: member {Member} {Reason} ({Count} members left)")]
    private partial void LogMemberLeft(string group, string member, string reason, int count);

    [LoggerMessage(3, LogLevel.Warning, "Consumer group {Group}: refused {Count} commits from {Member} that does not hold the queue under that lease")]
    private partial void LogCommitsFenced(string group, string member, int count);

    [LoggerMessage(4, LogLevel.Information, "Consumer group {Group}: offsets of {Topic} reset to time {Timestamp}")]
    private partial void LogOffsetsReset(string group, string topic, long timestamp);

    [LoggerMessage(5, LogLevel.Warning, "Consumer group {Group}: renewing the route of {Topic} failed")]
    private partial void LogRouteRenewFailed(string group, string topic, Exception exception);

    private sealed class Member(string id, MemberRegistration registration, long lastHeard)
    {
        public string Id { get; } = id;

        public MemberRegistration Registration { get; } = registration;

        public long LastHeard { get; set; } = lastHeard;

        public string? LastPushed { get; set; }
    }

    private sealed record Ownership(string MemberId, long Lease);
}
