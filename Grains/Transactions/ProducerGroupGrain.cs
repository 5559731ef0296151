using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Hosting;
using OrleansMq.Grains.Naming;

namespace OrleansMq.Grains.Transactions;

/// <summary>
/// The live transaction producers of one group, for check-backs. Kept in memory only: a producer whose heartbeat the
/// group does not know registers again, so a reactivated group fills up within one heartbeat interval.
/// </summary>
internal sealed partial class ProducerGroupGrain(
    IOptions<TransactionOptions> options,
    TimeProvider time,
    ILogger<ProducerGroupGrain> logger) : Grain, IProducerGroupGrain
{
    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);

    private string Group => this.GetPrimaryKeyString();

    private TransactionOptions Settings => options.Value;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (NameValidator.ValidateGroup(Group) is null)
        {
            this.RegisterGrainTimer(_ => ExpireAsync(), new GrainTimerCreationOptions(Settings.ProducerHeartbeatInterval, Settings.ProducerHeartbeatInterval));
        }

        return Task.CompletedTask;
    }

    public Task<ProducerMembership> RegisterAsync(ProducerRegistration registration)
    {
        if (NameValidator.ValidateGroup(Group) is { } error)
        {
            throw new InvalidRequestException($"Producer group: {error}");
        }

        ArgumentNullException.ThrowIfNull(registration);
        if (string.IsNullOrEmpty(registration.ProducerId) || registration.ProducerId.Length > 255)
        {
            throw new InvalidRequestException($"Producer id '{registration.ProducerId}' is empty or longer than 255 characters; it identifies the producer in group '{Group}'.");
        }

        if (registration.Observer is null)
        {
            throw new InvalidRequestException($"Producer '{registration.ProducerId}' registered in group '{Group}' without a check-back observer; brokers could not ask it about transactions.");
        }

        var now = time.GetUtcNow();
        var joined = !_members.ContainsKey(registration.ProducerId);
        _members[registration.ProducerId] = new Member(registration, now, now);
        if (joined)
        {
            LogJoined(Group, registration.ProducerId, _members.Count);
        }

        return Task.FromResult(new ProducerMembership(Settings.ProducerHeartbeatInterval, Settings.ProducerExpiry));
    }

    public Task<bool> HeartbeatAsync(string producerId)
    {
        if (producerId is null || !_members.TryGetValue(producerId, out var member))
        {
            return Task.FromResult(false);
        }

        _members[producerId] = member with { LastHeard = time.GetUtcNow() };
        return Task.FromResult(true);
    }

    public Task UnregisterAsync(string producerId)
    {
        if (producerId is not null && _members.Remove(producerId))
        {
            LogLeft(Group, producerId, "unregistered", _members.Count);
        }

        return Task.CompletedTask;
    }

    public Task<ProducerInfo[]> DescribeAsync()
    {
        Expire();
        var result = new List<ProducerInfo>(_members.Count);
        foreach (var member in _members.Values)
        {
            result.Add(new ProducerInfo(member.Registration.ProducerId, member.Registration.ClientId, member.Registered, member.LastHeard));
        }

        result.Sort(static (a, b) => string.CompareOrdinal(a.ProducerId, b.ProducerId));
        return Task.FromResult(result.ToArray());
    }

    public Task<CheckTarget[]> GetCheckTargetsAsync()
    {
        Expire();
        var members = new List<Member>(_members.Values);
        members.Sort(static (a, b) => b.LastHeard.CompareTo(a.LastHeard));
        var result = new CheckTarget[members.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = new CheckTarget(members[i].Registration.ProducerId, members[i].Registration.Observer);
        }

        return Task.FromResult(result);
    }

    private Task ExpireAsync()
    {
        Expire();
        return Task.CompletedTask;
    }

    private void Expire()
    {
        var cutoff = time.GetUtcNow() - Settings.ProducerExpiry;
        List<string>? expired = null;
        foreach (var (id, member) in _members)
        {
            if (member.LastHeard < cutoff)
            {
                (expired ??= []).Add(id);
            }
        }

        if (expired is null)
        {
            return;
        }

        foreach (var id in expired)
        {
            _members.Remove(id);
            LogLeft(Group, id, "expired", _members.Count);
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Producer {ProducerId} joined producer group {Group} ({Count} members)")]
    private partial void LogJoined(string group, string producerId, int count);

    [LoggerMessage(2, LogLevel.Information, "Producer {ProducerId} left producer group {Group}: {Reason} ({Count} members)")]
    private partial void LogLeft(string group, string producerId, string reason, int count);

    private sealed record Member(ProducerRegistration Registration, DateTimeOffset Registered, DateTimeOffset LastHeard);
}
