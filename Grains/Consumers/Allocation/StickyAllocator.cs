namespace OrleansMq.Grains.Consumers.Allocation;

/// <summary>
/// Balanced like <see cref="AveragelyAllocator"/> (every member holds ⌊Q/n⌋ or ⌈Q/n⌉ queues) while moving as few
/// queues as possible: members keep what they hold up to their quota, the larger quotas go to the members that hold
/// the most, and only the surplus and the orphaned queues are handed out.
/// </summary>
internal sealed class StickyAllocator : QueueAllocator
{
    public static readonly StickyAllocator Instance = new();

    public override void Allocate(IReadOnlyList<QueueRef> queues, IReadOnlyList<string> members, IReadOnlyDictionary<QueueRef, string> current, Dictionary<QueueRef, string> result)
    {
        var kept = new Dictionary<string, List<QueueRef>>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            kept[member] = [];
        }

        foreach (var queue in queues)
        {
            if (current.TryGetValue(queue, out var holder) && kept.TryGetValue(holder, out var list))
            {
                list.Add(queue);
            }
        }

        // Quotas: ⌊Q/n⌋ each, plus one for the Q mod n members that already hold the most (ties by name).
        var baseQuota = queues.Count / members.Count;
        var extra = queues.Count % members.Count;
        var byHolding = members.OrderByDescending(m => kept[m].Count).ThenBy(m => m, StringComparer.Ordinal).ToList();
        var quota = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < byHolding.Count; i++)
        {
            quota[byHolding[i]] = baseQuota + (i < extra ? 1 : 0);
        }

        var unassigned = new List<QueueRef>();
        foreach (var member in members)
        {
            var list = kept[member];
            for (var i = 0; i < list.Count; i++)
            {
                if (i < quota[member])
                {
                    result[list[i]] = member;
                }
                else
                {
                    unassigned.Add(list[i]);
                }
            }
        }

        foreach (var queue in queues)
        {
            if (!result.ContainsKey(queue) && !unassigned.Contains(queue))
            {
                unassigned.Add(queue);
            }
        }

        unassigned.Sort();
        var counts = members.ToDictionary(m => m, m => Math.Min(kept[m].Count, quota[m]), StringComparer.Ordinal);
        foreach (var queue in unassigned)
        {
            var target = members.Where(m => counts[m] < quota[m]).OrderBy(m => counts[m]).ThenBy(m => m, StringComparer.Ordinal).First();
            result[queue] = target;
            counts[target]++;
        }
    }
}
