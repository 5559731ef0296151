using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Dashboard;
using OrleansMq.Grains.Brokers;
using OrleansMq.Grains.Filters;
using OrleansMq.Grains.Hosting;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Placement;
using OrleansMq.Grains.Routing;
using OrleansMq.Grains.Scheduling;
using OrleansMq.Storage;

namespace OrleansMq.Grains.Queues;

/// <summary>
/// A queue on its owning broker: a thin, reentrant façade over the local store. Offsets are assigned by the store's
/// single writer, so concurrent appends from many producers interleave freely and share group commits; long polls
/// wait on the store's per-queue signal without blocking appends.
/// </summary>
[BrokerPinnedPlacement, Immovable, Reentrant, NoProfiling]
internal sealed partial class MessageQueueGrain(
    BrokerStore brokerStore,
    TimerService timers,
    IOptions<BrokerOptions> options,
    IOptions<IdempotenceOptions> idempotence,
    TimeProvider timeProvider,
    ILogger<MessageQueueGrain> logger) : Grain, IMessageQueueGrain
{
    private const int MaxCachedFilters = 64;
    private const int MaxUnmatchedScans = 64;

    private readonly Dictionary<FilterExpression, IMessageFilter?> _filters = [];
    private QueueKey _key;
    private TopicRoute? _route;
    private Diagnostics.BrokerInstruments _instruments = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = QueueKey.Parse(this.GetPrimaryKeyString());
        _instruments = Diagnostics.BrokerInstruments.Of(ServiceProvider);
        _route = await GrainFactory.GetGrain<ITopicRouteGrain>(_key.Topic).GetRouteAsync();
    }

    public Task<AppendResponse> AppendAsync(AppendRequest request, CancellationToken cancellationToken)
    {
        var append = AppendUnreleasedAsync(request, cancellationToken);

        // A batch read from the wire is a pooled buffer. The store and the timer service read it only until their append
        // completes, and nothing else here keeps it (an idempotent duplicate is answered from the original's result).
        return request.Batch.IsPooled ? ReleaseAfterAsync(append, request.Batch) : append;
    }

    private static async Task<AppendResponse> ReleaseAfterAsync(Task<AppendResponse> append, BatchBytes batch)
    {
        try
        {
            return await append;
        }
        finally
        {
            batch.Release();
        }
    }

    private Task<AppendResponse> AppendUnreleasedAsync(AppendRequest request, CancellationToken cancellationToken)
    {
        var store = brokerStore.TryGetStore();
        if (store is null)
        {
            return Task.FromResult(Refuse(SendStatus.ServiceUnavailable, 0, $"Broker '{_key.Broker}' is starting or stopping."));
        }

        if (CheckRoute(TopicPermission.Write) is { } refusal)
        {
            return Task.FromResult(Refuse(refusal.Status, store.StoreId, refusal.Error));
        }

        return request.ProducerId != 0
            ? AppendIdempotentAsync(store, request, cancellationToken)
            : AppendCoreAsync(store, request, cancellationToken);
    }

    private async Task<AppendResponse> AppendCoreAsync(MessageStore store, AppendRequest request, CancellationToken cancellationToken)
    {
        if (request.HasScheduled)
        {
            return await timers.AppendAsync(_key.Topic, _key.QueueId, request.Batch, cancellationToken);
        }

        var result = await store.AppendAsync(_key.Topic, _key.QueueId, request.Batch, cancellationToken);
        var messages = new AppendedMessage[result.Messages.Length];
        for (var i = 0; i < messages.Length; i++)
        {
            ref readonly var m = ref result.Messages[i];
            messages[i] = new AppendedMessage(StatusMapping.ToSendStatus(m.Status), m.LogOffset, m.QueueOffset);
        }

        if (result.Status != AppendStatus.Ok)
        {
            LogAppendRefused(_key.Topic, _key.QueueId, result.Status);
        }

        if (result.Status is AppendStatus.Ok or AppendStatus.FlushTimeout)
        {
            _instruments.Appended(_key.Topic, messages.Length, request.Batch.Length);
        }

        return new AppendResponse(
            StatusMapping.ToSendStatus(result.Status),
            store.StoreId,
            messages,
            StatusMapping.Describe(result.Status, _key.Broker, store));
    }

    public async Task<PullResponse> PullAsync(PullRequest request, CancellationToken cancellationToken)
    {
        var store = brokerStore.TryGetStore();
        if (store is null)
        {
            return PullRefused(PullStatus.ServiceUnavailable, request.Offset, 0, $"Broker '{_key.Broker}' is starting or stopping.");
        }

        if (CheckRoute(TopicPermission.Read) is { } refusal)
        {
            return PullRefused(refusal.Status == SendStatus.TopicNotFound ? PullStatus.TopicNotFound
                : refusal.Status == SendStatus.NoPermission ? PullStatus.NoPermission : PullStatus.QueueNotOwned,
                request.Offset, store.StoreId, refusal.Error);
        }

        var limits = options.Value;
        var filter = GetFilter(request.Filter);
        var maxMessages = Math.Clamp(request.MaxMessages, 1, limits.MaxPullMessages);
        var maxBytes = Math.Clamp(request.MaxBytes, 1, limits.MaxPullBytes);
        var wait = request.Wait < TimeSpan.Zero ? TimeSpan.Zero : request.Wait > limits.MaxPullWait ? limits.MaxPullWait : request.Wait;
        var started = timeProvider.GetTimestamp();
        var offset = request.Offset;
        var served = started; // Start of the service time: the request, or the wake-up after a long-poll wait.

        // Skip unmatched stretches without returning to the client, but never loop unboundedly inside one call.
        for (var scans = 0; ; scans++)
        {
            var read = store.Read(_key.Topic, _key.QueueId, offset, maxMessages, maxBytes, filter);
            switch (read.Status)
            {
                case ReadStatus.Found:
                    _instruments.Pulled(_key.Topic, read.Count, read.Records.Length, timeProvider.GetElapsedTime(served));
                    return new PullResponse(PullStatus.Found, read.Records, read.Count, read.NextQueueOffset, read.Range.Min, read.Range.Max, store.StoreId);
                case ReadStatus.NoMatchedMessage when scans < MaxUnmatchedScans:
                    offset = read.NextQueueOffset;
                    continue;
                case ReadStatus.NoNewMessage:
                    var remaining = wait - timeProvider.GetElapsedTime(started);
                    if (remaining > TimeSpan.Zero
                        && await store.WaitForMessagesAsync(_key.Topic, _key.QueueId, offset, remaining, cancellationToken))
                    {
                        served = timeProvider.GetTimestamp();
                        continue;
                    }

                    var status = offset == request.Offset ? PullStatus.NoNewMessage : PullStatus.NoMatchedMessage;
                    return new PullResponse(status, ReadOnlyMemory<byte>.Empty, 0, offset, read.Range.Min, read.Range.Max, store.StoreId);
                default:
                    var error = read.Status is ReadStatus.OffsetTooSmall or ReadStatus.OffsetTooBig
                        ? $"Offset {offset} of queue {_key.Topic}/{_key.QueueId} is out of range; valid offsets are [{read.Range.Min}, {read.Range.Max}]."
                        : null;
                    return new PullResponse(StatusMapping.ToPullStatus(read.Status), ReadOnlyMemory<byte>.Empty, 0, offset, read.Range.Min, read.Range.Max, store.StoreId, error);
            }
        }
    }

    public Task<QueueOffsets> GetOffsetsAsync()
    {
        var range = brokerStore.Store.GetQueueRange(_key.Topic, _key.QueueId);
        return Task.FromResult(new QueueOffsets(range.Min, range.Max));
    }

    public Task<long> GetOffsetByTimeAsync(long timestamp) =>
        Task.FromResult(brokerStore.Store.GetQueueOffsetByTime(_key.Topic, _key.QueueId, timestamp));

    public Task OnRouteChangedAsync(TopicRoute? route)
    {
        if (route is null || _route is null || route.Version > _route.Version)
        {
            _route = route;
        }

        return Task.CompletedTask;
    }

    private (SendStatus Status, string Error)? CheckRoute(TopicPermission needed)
    {
        var route = _route;
        if (route is null)
        {
            return (SendStatus.TopicNotFound, $"Topic '{_key.Topic}' does not exist.");
        }

        if ((uint)_key.QueueId >= (uint)route.Queues.Length || !string.Equals(route.Queues[_key.QueueId].Broker, _key.Broker, StringComparison.Ordinal))
        {
            return (SendStatus.QueueNotOwned, $"Queue {_key.QueueId} of topic '{_key.Topic}' is not owned by broker '{_key.Broker}' in route version {route.Version}.");
        }

        if ((route.Permission & needed) == 0)
        {
            return (SendStatus.NoPermission, $"Topic '{_key.Topic}' does not allow {(needed == TopicPermission.Write ? "writes" : "reads")} (permission {route.Permission}).");
        }

        return null;
    }

    private IMessageFilter? GetFilter(FilterExpression? expression)
    {
        if (expression is null || expression.IsAll)
        {
            return null;
        }

        if (!_filters.TryGetValue(expression, out var filter))
        {
            filter = FilterCompiler.Compile(expression);
            if (_filters.Count >= MaxCachedFilters)
            {
                _filters.Clear();
            }

            _filters[expression] = filter;
        }

        return filter;
    }

    private static AppendResponse Refuse(SendStatus status, long storeId, string error) => new(status, storeId, [], error);

    private static PullResponse PullRefused(PullStatus status, long offset, long storeId, string? error) =>
        new(status, ReadOnlyMemory<byte>.Empty, 0, offset, 0, 0, storeId, error);

    [LoggerMessage(1, LogLevel.Debug, "Append to {Topic}/{QueueId} returned {Status}")]
    private partial void LogAppendRefused(string topic, int queueId, AppendStatus status);
}
