using OrleansMq.Client.Messages;
using OrleansMq.Grains;
using OrleansMq.Grains.Brokers;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Messages;

namespace OrleansMq.Client.Admin;

// Operations: broker statistics and message browsing for the console and the CLI (docs/operations.md).
public sealed partial class MqAdmin
{
    /// <summary>Most messages one browse or time range query returns.</summary>
    public const int MaxQueryResults = 1024;

    /// <summary>Bytes asked per pull while browsing: large enough for a page of messages, small enough for one response.</summary>
    private const int BrowseBytes = 4 * 1024 * 1024;

    /// <summary>Store figures, disk watermark, pending timers and traffic per topic of a live broker.</summary>
    /// <exception cref="BrokerUnavailableException">The broker is not running.</exception>
    public Task<BrokerStats> GetBrokerStatsAsync(string broker) => _client.GetGrain<IBrokerGrain>(broker).GetStatsAsync();

    /// <summary>
    /// The newest messages of a topic (at most <paramref name="maxResults"/> across its queues), newest first: browsing a
    /// dead-letter topic (<c>%DLQ%group</c>) or checking what arrived. Queues of a broker that is down are skipped.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="maxResults"/> outside 1..<see cref="MaxQueryResults"/>.</exception>
    /// <exception cref="TopicNotFoundException">No such topic.</exception>
    public async Task<IReadOnlyList<ReceivedMessage>> GetLatestMessagesAsync(string topic, int maxResults = 32)
    {
        CheckMaxResults(maxResults);
        var route = await Route(topic).GetRouteAsync() ?? throw new TopicNotFoundException(topic);
        var reads = route.Queues.Select(async queue =>
        {
            var grain = Queue(topic, queue);
            var offsets = await grain.GetOffsetsAsync();
            return await ReadQueueAsync(grain, queue.Broker, Math.Max(offsets.Min, offsets.Max - maxResults), maxResults, long.MaxValue);
        });
        var found = (await WhenAllAvailable(reads)).SelectMany(m => m);
        return found.OrderByDescending(m => m.StoreTimestamp).ThenByDescending(m => m.QueueOffset).Take(maxResults).ToList();
    }

    private static void CheckMaxResults(int maxResults)
    {
        if (maxResults is < 1 or > MaxQueryResults)
        {
            throw new ArgumentOutOfRangeException(nameof(maxResults), maxResults, $"A query returns 1 to {MaxQueryResults} messages.");
        }
    }

    /// <summary>Reads a queue forward from <paramref name="offset"/> without waiting, up to <paramref name="max"/> messages stored at or before <paramref name="until"/>.</summary>
    private static async Task<List<ReceivedMessage>> ReadQueueAsync(IMessageQueueGrain grain, string broker, long offset, int max, long until)
    {
        var result = new List<ReceivedMessage>();
        while (result.Count < max)
        {
            var response = await grain.PullAsync(new PullRequest(offset, max - result.Count, BrowseBytes, null, TimeSpan.Zero));
            if (response.Status == PullStatus.OffsetTooSmall && response.MinOffset > offset)
            {
                offset = response.MinOffset; // Retention removed the oldest part meanwhile.
                continue;
            }

            if (response.Status != PullStatus.Found)
            {
                break;
            }

            foreach (var message in ReceivedMessage.Decode(response.Records, response.Count, response.StoreId, broker))
            {
                if (message.StoreTimestamp > until)
                {
                    return result;
                }

                result.Add(message);
            }

            offset = response.NextOffset;
        }

        return result;
    }

    private static async Task<List<ReceivedMessage>[]> WhenAllAvailable(IEnumerable<Task<List<ReceivedMessage>>> reads)
    {
        var tasks = reads.ToArray();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch (Exception) when (Array.TrueForAll(tasks, t => !t.IsFaulted || t.Exception.InnerException is BrokerUnavailableException))
        {
            // A dead broker's messages cannot be read now; the others still answer.
        }

        return [.. tasks.Select(t => t.IsCompletedSuccessfully ? t.Result : [])];
    }
}
