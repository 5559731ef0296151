using Orleans.Concurrency;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Grains;

/// <summary>
/// One queue of a topic (RocketMQ MessageQueue). Keyed by <see cref="QueueKey"/> and activated only on the silo of the
/// owning broker, next to its commit log.
/// </summary>
[Alias("OrleansMq.IMessageQueueGrain")]
public interface IMessageQueueGrain : IGrainWithStringKey
{
    /// <summary>Stores a batch; returns after it is stored as the broker's flush policy promises.</summary>
    [Alias("Append")]
    Task<AppendResponse> AppendAsync(AppendRequest request, CancellationToken cancellationToken = default);

    /// <summary>Returns messages from an offset, holding the call up to <see cref="PullRequest.Wait"/> when none are there.</summary>
    [Alias("Pull")]
    Task<PullResponse> PullAsync(PullRequest request, CancellationToken cancellationToken = default);

    /// <summary>The queue's valid offsets.</summary>
    [Alias("GetOffsets")]
    Task<QueueOffsets> GetOffsetsAsync();

    /// <summary>The first offset stored at or after <paramref name="timestamp"/> (Unix ms); the max offset when none.</summary>
    [Alias("GetOffsetByTime")]
    Task<long> GetOffsetByTimeAsync(long timestamp);

    /// <summary>Told by the topic's route grain that the route changed (null: the topic was deleted).</summary>
    [Alias("OnRouteChanged"), OneWay]
    Task OnRouteChangedAsync(TopicRoute? route);
}
