using System.Globalization;
using OrleansMq.Client.Admin;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Naming;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Silo.Console;

/// <summary>
/// The console's JSON API (<c>/api/…</c>): reads go through <see cref="MqAdmin"/> over the silo's own cluster client and
/// the sampler's latest figures; names travel in query strings or JSON bodies, never in paths (<c>%DLQ%g</c>).
/// Errors are thrown and turned into <c>{"error": "…"}</c> by <see cref="ConsoleEndpoints"/>.
/// </summary>
/// <remarks>Thread-safe; stateless apart from the sampler.</remarks>
internal sealed class ConsoleApi(ConsoleAdmin consoleAdmin, ConsoleSampler sampler, ILocalSiloDetails silo)
{
    private const int DefaultMaxMessages = 32;

    /// <summary>Rates of a topic no broker has seen traffic for since it started.</summary>
    private static readonly ConsoleSampler.Rates NoTraffic = new(0, 0, 0, 0);

    private MqAdmin Admin => consoleAdmin.Admin;

    public object Cluster()
    {
        var sample = sampler.Latest;
        var brokers = sample.Brokers.Values.OrderBy(b => b.Info.Name, StringComparer.Ordinal).Select(b => new
        {
            b.Info.Name,
            Alive = b.Info.IsAlive,
            Silo = b.Info.SiloAddress,
            StoreId = b.Info.StoreId.ToString("X16", CultureInfo.InvariantCulture),
            b.Info.RegisteredAt,
            Stats = b.Stats is null ? null : new
            {
                b.Stats.Status.StoreBytes,
                b.Stats.Status.DiskTotalBytes,
                b.Stats.Status.DiskFreeBytes,
                b.Stats.MinFreeDiskBytes,
                DiskFull = b.Stats.Status.IsDiskFull,
                b.Stats.Status.QueueCount,
                b.Stats.Status.FlushPolicy,
                b.Stats.Status.WrittenPosition,
                b.Stats.Status.DurablePosition,
                b.Stats.PendingTimers,
                b.Stats.StartedAt,
                b.Stats.MessagesIn,
                b.Stats.MessagesOut,
            },
            b.Rates,
            b.Error,
        }).ToArray();
        return new
        {
            ServedBy = silo.Name,
            SampledAt = sample.At,
            Brokers = brokers,
            History = sampler.RateHistory(),
        };
    }

    public async Task<object> TopicsAsync()
    {
        var sample = sampler.Latest;
        var names = await Admin.ListTopicsAsync();
        var haveRates = sample.Brokers.Values.Any(b => b.Rates is not null);
        var routes = await Task.WhenAll(names.Select(Admin.GetRouteAsync));
        var topics = routes.Where(r => r is not null).Select(r => new
        {
            Name = r!.Topic,
            QueueCount = r.Queues.Length,
            Permission = r.Permission.ToString(),
            Brokers = r.Queues.Select(q => q.Broker).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
            System = SystemTopics.IsSystem(r.Topic),
            Rates = sample.Topics.GetValueOrDefault(r.Topic) ?? (haveRates ? NoTraffic : null),
        }).ToArray();
        return new { SampledAt = sample.At, Topics = topics };
    }

    public async Task<object> TopicAsync(string? name)
    {
        var topic = Required(name, "name");
        var route = await Admin.GetRouteAsync(topic) ?? throw new TopicNotFoundException(topic);
        var offsets = await Admin.GetTopicOffsetsAsync(topic);
        var sample = sampler.Latest;
        var groups = sample.Groups.Values
            .Where(g => g.Lag is not null && g.Lag.Any(q => q.Topic == topic))
            .Select(g => new { g.Group, Lag = ConsoleSampler.TotalLag(g.Lag!.Where(q => q.Topic == topic).ToArray()) })
            .OrderBy(g => g.Group, StringComparer.Ordinal)
            .ToArray();
        return new
        {
            Name = route.Topic,
            route.Version,
            Permission = route.Permission.ToString(),
            Queues = route.Queues.Select(q =>
            {
                var o = offsets.FirstOrDefault(s => s.QueueId == q.QueueId);
                return new { q.QueueId, q.Broker, MinOffset = o?.MinOffset, MaxOffset = o?.MaxOffset, Messages = o is null ? (long?)null : o.MaxOffset - o.MinOffset };
            }).ToArray(),
            Rates = sample.Topics.GetValueOrDefault(topic),
            Groups = groups,
        };
    }

    public async Task<object> CreateTopicAsync(TopicRequest request)
    {
        var route = await Admin.CreateTopicAsync(Required(request.Name, "name"), request.QueueCount ?? 8, ParsePermission(request.Permission));
        return Describe(route);
    }

    public async Task<object> UpdateTopicAsync(TopicRequest request)
    {
        var name = Required(request.Name, "name");
        var current = await Admin.GetRouteAsync(name) ?? throw new TopicNotFoundException(name);
        var route = await Admin.UpdateTopicAsync(
            name,
            request.QueueCount ?? current.Queues.Length,
            request.Permission is null ? current.Permission : ParsePermission(request.Permission));
        return Describe(route);
    }

    public async Task<object> GroupsAsync()
    {
        var sample = sampler.Latest;
        var names = await Admin.ListGroupsAsync();
        var descriptions = await Task.WhenAll(names.Select(async n =>
        {
            try
            {
                return await Admin.DescribeGroupAsync(n);
            }
            catch (OrleansMqException)
            {
                return null;
            }
        }));
        var groups = names.Select((n, i) =>
        {
            var lag = sample.Groups.GetValueOrDefault(n)?.Lag;
            return new
            {
                Name = n,
                Members = descriptions[i]?.Members.Length,
                Mode = descriptions[i]?.Mode.ToString(),
                Lag = lag is null ? (long?)null : ConsoleSampler.TotalLag(lag),
                OldestAgeSeconds = lag?.Max(q => q.OldestUnconsumedAge?.TotalSeconds),
            };
        }).ToArray();
        return new { SampledAt = sample.At, Groups = groups };
    }

    public async Task<object> GroupAsync(string? name)
    {
        var group = Required(name, "name");
        var description = await Admin.DescribeGroupAsync(group);
        var lag = await Admin.GetGroupLagAsync(group);
        return new
        {
            Name = description.Group,
            Mode = description.Mode.ToString(),
            Strategy = description.Strategy.ToString(),
            description.Generation,
            Members = description.Members.Select(m => new
            {
                m.MemberId,
                m.ClientId,
                m.LastHeartbeat,
                Subscriptions = m.Subscriptions.Select(s => new { s.Topic, Filter = s.Filter.IsAll ? "*" : $"{s.Filter.Type}: {s.Filter.Expression}" }).ToArray(),
                m.Queues,
            }).ToArray(),
            description.PendingMoves,
            TotalLag = ConsoleSampler.TotalLag([.. lag]),
            Lag = lag.Select(l => new
            {
                l.Topic,
                l.Broker,
                l.QueueId,
                l.CommittedOffset,
                l.MaxOffset,
                l.Lag,
                OldestAgeSeconds = l.OldestUnconsumedAge?.TotalSeconds,
                l.Owner,
            }).ToArray(),
            DeadLetterTopic = SystemTopics.DeadLetter(group),
            History = sampler.LagHistory(group),
        };
    }

    public async Task<object> MessagesAsync(IQueryCollection query)
    {
        var max = ParseMax(query["max"]);
        IReadOnlyList<Client.Messages.ReceivedMessage> found;
        if (Optional(query["id"]) is { } id)
        {
            found = await Admin.FindMessageByIdAsync(id) is { } message ? [message] : [];
        }
        else
        {
            var topic = Required(query["topic"], "topic (or id)");
            if (Optional(query["key"]) is { } key)
            {
                found = await Admin.FindMessagesByKeyAsync(topic, key, max, ParseTime(query["begin"], "begin"), ParseTime(query["end"], "end"));
            }
            else if (Optional(query["uniqueKey"]) is { } uniqueKey)
            {
                found = await Admin.FindMessagesByUniqueKeyAsync(topic, uniqueKey);
            }
            else
            {
                var begin = ParseTime(query["begin"], "begin") ?? throw new ArgumentException("Give id, topic and key, topic and uniqueKey, or topic with begin (and end) times.");
                found = await Admin.FindMessagesByTimeAsync(topic, begin, ParseTime(query["end"], "end") ?? DateTimeOffset.UtcNow, max);
            }
        }

        return new { Messages = found.Select(MessageView.From).ToArray() };
    }

    public async Task<object> DeadLettersAsync(string? group, string? max)
    {
        var topic = SystemTopics.DeadLetter(Required(group, "group"));
        try
        {
            var messages = await Admin.GetLatestMessagesAsync(topic, ParseMax(max));
            return new { Group = group, Topic = topic, Exists = true, Messages = messages.Select(MessageView.From).ToArray() };
        }
        catch (TopicNotFoundException)
        {
            return new { Group = group, Topic = topic, Exists = false, Messages = Array.Empty<MessageView>() };
        }
    }

    public async Task<object> ResendAsync(ResendRequest request)
    {
        var result = await Admin.ResendDeadLetterAsync(Required(request.MessageId, "messageId"));
        return new { result.Topic, result.MessageId };
    }

    private static object Describe(TopicRoute route) => new
    {
        Name = route.Topic,
        route.Version,
        Permission = route.Permission.ToString(),
        Queues = route.Queues.Select(q => new { q.QueueId, q.Broker }).ToArray(),
    };

    private static TopicPermission ParsePermission(string? text) =>
        text is null ? TopicPermission.ReadWrite
        : Enum.TryParse<TopicPermission>(text, ignoreCase: true, out var permission) && Enum.IsDefined(permission) ? permission
        : throw new ArgumentException($"Permission '{text}' is not one of ReadWrite, Read, Write, None.");

    private static int ParseMax(string? text) =>
        text is null ? DefaultMaxMessages
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var max) && max is >= 1 and <= MqAdmin.MaxQueryResults ? max
        : throw new ArgumentException($"max is '{text}'; give a number between 1 and {MqAdmin.MaxQueryResults}.");

    private static DateTimeOffset? ParseTime(string? text, string name) =>
        Optional(text) is not { } value ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time
        : long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
        : throw new ArgumentException($"{name} is '{value}'; give an ISO 8601 time (2026-01-31T12:00:00Z) or Unix milliseconds.");

    private static string? Optional(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static string Required(string? text, string name) =>
        Optional(text) ?? throw new ArgumentException($"The {name} is missing.");

    /// <summary>Body of topic create and update.</summary>
    internal sealed record TopicRequest(string? Name, int? QueueCount, string? Permission);

    /// <summary>Body of a dead-letter resend.</summary>
    internal sealed record ResendRequest(string? MessageId);
}
