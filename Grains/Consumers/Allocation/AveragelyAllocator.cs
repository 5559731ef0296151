namespace OrleansMq.Grains.Consumers.Allocation;

/// <summary>
/// Contiguous blocks of ⌈Q/n⌉ or ⌊Q/n⌋ queues, the larger blocks first (RocketMQ AllocateMessageQueueAveragely).
/// With more members than queues the last members get nothing.
/// </summary>
internal sealed class AveragelyAllocator : QueueAllocator
{
    public static readonly AveragelyAllocator Instance = new();

    public override void Allocate(IReadOnlyList<QueueRef> queues, IReadOnlyList<string> members, IReadOnlyDictionary<QueueRef, string> current, Dictionary<QueueRef, string> result)
    {
        var q = queues.Count;
        var n = members.Count;
        var mod = q % n;
        for (var i = 0; i < n; i++)
        {
            var size = q <= n ? 1 : mod > 0 && i < mod ? q / n + 1 : q / n;
            var start = mod > 0 && i < mod ? i * size : i * size + mod;
            for (var k = start; k < Math.Min(start + size, q); k++)
            {
                result[queues[k]] = members[i];
            }
        }
    }
}
