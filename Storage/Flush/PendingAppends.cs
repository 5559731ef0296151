using OrleansMq.Storage.CommitLog;

namespace OrleansMq.Storage.Flush;

/// <summary>
/// Written appends waiting for durability, in log order: the writer adds, the flusher takes from the front, the
/// flush-timeout watchdog reads.
/// </summary>
/// <remarks>
/// Not a <c>ConcurrentQueue</c> on purpose: peeking or enumerating one marks its segments "preserved for
/// observation", after which dequeued slots are never cleared. Every acknowledged request (and the batch bytes it
/// references) then stayed reachable until its whole segment was dropped; a gen0 GC promoted ~22 MB of them at once,
/// a 22–28 ms pause every few seconds at 10,000 msgs/s (W2). One short lock per group and per completion pass costs
/// far less than that.
/// </remarks>
internal sealed class PendingAppends
{
    private readonly Queue<AppendRequest> _queue = new();
    private readonly Lock _lock = new();
    private int _count;

    public bool IsEmpty => Volatile.Read(ref _count) == 0;

    /// <summary>Adds a written group's requests, in log order, under one lock.</summary>
    public void EnqueueRange(List<AppendRequest> requests)
    {
        lock (_lock)
        {
            foreach (var request in requests)
            {
                _queue.Enqueue(request);
            }

            Volatile.Write(ref _count, _queue.Count);
        }
    }

    /// <summary>Moves every request at the front for which <paramref name="take"/> holds into <paramref name="into"/>.</summary>
    public void TakeWhile<TState>(Func<AppendRequest, TState, bool> take, TState state, List<AppendRequest> into)
    {
        lock (_lock)
        {
            while (_queue.TryPeek(out var request) && take(request, state))
            {
                into.Add(_queue.Dequeue());
            }

            Volatile.Write(ref _count, _queue.Count);
        }
    }

    /// <summary>Copies (without removing) the requests at the front whose records end at or below <paramref name="end"/>.</summary>
    public void CopyEndingAtOrBelow(long end, List<AppendRequest> into)
    {
        lock (_lock)
        {
            foreach (var request in _queue)
            {
                if (request.EndLogOffset > end)
                {
                    break;
                }

                into.Add(request);
            }
        }
    }

    /// <summary>Removes and returns everything.</summary>
    public void TakeAll(List<AppendRequest> into) => TakeWhile(static (_, _) => true, 0, into);
}
