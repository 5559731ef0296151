using OrleansMq.Client.Messages;
using OrleansMq.Grains;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Client.Consuming.Internal;

/// <summary>One pull from a queue grain, decoded. Shared by the pull and push consumers.</summary>
internal static class QueueReader
{
    public static IMessageQueueGrain Grain(IClusterClient client, MessageQueue queue) =>
        client.GetGrain<IMessageQueueGrain>(new QueueKey(queue.Broker, queue.Topic, queue.QueueId).ToString());

    public static async Task<PullResult> PullAsync(
        IClusterClient client, MessageQueue queue, long offset, int maxMessages, int maxBytes, FilterExpression? filter, TimeSpan wait, CancellationToken cancellationToken)
    {
        var response = await Grain(client, queue).PullAsync(new PullRequest(offset, maxMessages, maxBytes, filter, wait), cancellationToken);
        IReadOnlyList<ReceivedMessage> messages = response.Count == 0
            ? []
            : ReceivedMessage.Decode(response.Records, response.Count, response.StoreId, queue.Broker);
        return new PullResult(response.Status, response.NextOffset, response.MinOffset, response.MaxOffset, messages, response.Error);
    }
}
