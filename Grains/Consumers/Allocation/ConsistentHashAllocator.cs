using System.Text;

namespace OrleansMq.Grains.Consumers.Allocation;

/// <summary>
/// A hash ring with <see cref="VirtualNodes"/> points per member; a queue goes to the first member point at or after
/// its own hash. Adding or removing a member moves only the queues next to its points
/// (RocketMQ AllocateMessageQueueConsistentHash).
/// </summary>
internal sealed class ConsistentHashAllocator : QueueAllocator
{
    public const int VirtualNodes = 10;

    public static readonly ConsistentHashAllocator Instance = new();

    public override void Allocate(IReadOnlyList<QueueRef> queues, IReadOnlyList<string> members, IReadOnlyDictionary<QueueRef, string> current, Dictionary<QueueRef, string> result)
    {
        var ring = new List<(ulong Hash, string Member)>(members.Count * VirtualNodes);
        foreach (var member in members)
        {
            for (var v = 0; v < VirtualNodes; v++)
            {
                ring.Add((Hash($"{member}#{v}"), member));
            }
        }

        ring.Sort((a, b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : string.CompareOrdinal(a.Member, b.Member));
        foreach (var queue in queues)
        {
            var hash = Hash(queue.Key);
            var index = ring.FindIndex(p => p.Hash >= hash);
            result[queue] = ring[index < 0 ? 0 : index].Member;
        }
    }

    /// <summary>64-bit FNV-1a over UTF-8: stable across processes and .NET versions (unlike string.GetHashCode).</summary>
    private static ulong Hash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        // FNV's low bits mix poorly for short, similar keys; finish with a 64-bit avalanche (splitmix64).
        hash ^= hash >> 30;
        hash *= 0xBF58476D1CE4E5B9UL;
        hash ^= hash >> 27;
        hash *= 0x94D049BB133111EBUL;
        return hash ^ (hash >> 31);
    }
}
