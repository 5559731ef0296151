using OrleansMq.Grains.Messages;
using OrleansMq.Storage;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Transactions;

/// <summary>
/// Check-back: one loop per broker takes the half messages whose next check is due, asks a live producer of each
/// group (the producer that prepared it while it is alive, else the others in turn; a producer that fails or does
/// not answer within <c>CheckTimeout</c> is skipped) and applies the answers.
/// </summary>
internal sealed partial class TransactionService
{
    private Scheduling.DueLoop? _loop;
    private int _roundRobin;

    /// <summary>Completes once every check-back due at or before <paramref name="timestamp"/> (Unix ms) has been handled (tests).</summary>
    internal Task WaitProcessedAsync(long timestamp) => Loop.WaitProcessedAsync(timestamp);

    private Scheduling.DueLoop Loop => LazyInitializer.EnsureInitialized(ref _loop, () => new Scheduling.DueLoop(() => Time, LogLoopFailed));

    private void Wake() => Loop.Wake();

    /// <summary>One pass of the loop: checks back what is due, or says how long to sleep.</summary>
    private async Task<(long ProcessedUntil, TimeSpan Wait)?> PassAsync()
    {
        List<PendingHalf> due;
        long now;
        long next;
        lock (_gate)
        {
            now = Now;
            due = TakeDue(now);
            next = PeekNext();
        }

        if (due.Count > 0)
        {
            await CheckAsync(due, now);
            return null;
        }

        return (now, next == long.MaxValue ? Settings.CheckInterval : TimeSpan.FromMilliseconds(Math.Max(1, next - now)));
    }

    private List<PendingHalf> TakeDue(long now)
    {
        var due = new List<PendingHalf>();
        while (due.Count < Settings.CheckBatchSize && _due.TryPeek(out var logOffset, out var at) && at <= now)
        {
            _due.Dequeue();
            if (_pending.TryGetValue(logOffset, out var half) && half.NextCheckAt == at && !half.Checking)
            {
                half.Checking = true;
                due.Add(half);
            }
        }

        return due;
    }

    private long PeekNext()
    {
        while (_due.TryPeek(out var logOffset, out var at))
        {
            if (_pending.TryGetValue(logOffset, out var half) && half.NextCheckAt == at && !half.Checking)
            {
                return at;
            }

            _due.Dequeue(); // Finished, rescheduled or being checked: drop lazily.
        }

        return long.MaxValue;
    }

    /// <summary>Checks one batch of due half messages and applies the answers; unanswered ones are counted and rescheduled or discarded.</summary>
    private async Task CheckAsync(List<PendingHalf> due, long now)
    {
        var store = Store;
        var discard = new List<PendingHalf>();
        var rescheduled = new List<PendingHalf>();
        var resolved = 0;
        try
        {
            var byGroup = new Dictionary<string, List<PendingHalf>>(StringComparer.Ordinal);
            foreach (var half in due)
            {
                if (half.Checks >= Settings.MaxChecks)
                {
                    discard.Add(half); // Recovered with its checks used up, or MaxChecks lowered.
                    continue;
                }

                if (!byGroup.TryGetValue(half.Info.Group, out var list))
                {
                    byGroup[half.Info.Group] = list = [];
                }

                list.Add(half);
            }

            var answers = await Task.WhenAll(byGroup.Select(g => CheckGroupAsync(store, g.Key, g.Value)));
            var unanswered = new List<PendingHalf>();
            foreach (var answer in answers)
            {
                foreach (var (half, state) in answer)
                {
                    if (state == LocalTransactionState.Unknown
                        || await RunEndAsync(store, half, state == LocalTransactionState.Commit ? CommitAsync : RollbackAsync) is { Status: EndTransactionStatus.StoreError })
                    {
                        unanswered.Add(half);
                    }
                    else
                    {
                        resolved++;
                    }
                }
            }

            lock (_gate)
            {
                foreach (var half in unanswered)
                {
                    if (!IsPending(half))
                    {
                        continue; // Ended by its producer meanwhile.
                    }

                    half.Checks++;
                    half.LastCheckAt = now;
                    if (half.Checks >= Settings.MaxChecks)
                    {
                        discard.Add(half);
                    }
                    else
                    {
                        half.NextCheckAt = now + (long)Settings.CheckInterval.TotalMilliseconds;
                        rescheduled.Add(half);
                    }
                }
            }

            if (rescheduled.Count > 0)
            {
                await WriteOpAsync(store, TransactionRecords.Check, rescheduled);
            }
        }
        finally
        {
            lock (_gate)
            {
                // Every message of the pass that is still pending gets a next check: rescheduled ones as decided, and any
                // other (a failed pass, or an end that failed and put it back meanwhile) one check interval from now.
                var discarding = new HashSet<PendingHalf>(discard, ReferenceEqualityComparer.Instance);
                var decided = new HashSet<PendingHalf>(rescheduled, ReferenceEqualityComparer.Instance);
                foreach (var half in due)
                {
                    half.Checking = false;
                    if (IsPending(half) && !discarding.Contains(half))
                    {
                        if (!decided.Contains(half))
                        {
                            half.NextCheckAt = now + (long)Settings.CheckInterval.TotalMilliseconds;
                        }

                        _due.Enqueue(half.LogOffset, half.NextCheckAt);
                    }
                }
            }
        }

        foreach (var half in discard)
        {
            if (await RunEndAsync(store, half, DiscardAsync) is { Status: EndTransactionStatus.StoreError })
            {
                lock (_gate)
                {
                    // Try again at the next pass rather than spin.
                    half.NextCheckAt = now + (long)Settings.CheckInterval.TotalMilliseconds;
                    _due.Enqueue(half.LogOffset, half.NextCheckAt);
                }
            }
        }

        LogChecked(due.Count, resolved, rescheduled.Count, discard.Count);
    }

    /// <summary>True while <paramref name="half"/> is pending and not claimed; the caller holds the lock.</summary>
    private bool IsPending(PendingHalf half) => _pending.TryGetValue(half.LogOffset, out var current) && ReferenceEquals(current, half);

    /// <summary>Asks the group's live producers about its due half messages; an entry per half message, Unknown when nobody answered.</summary>
    private async Task<List<(PendingHalf Half, LocalTransactionState State)>> CheckGroupAsync(MessageStore store, string group, List<PendingHalf> halves)
    {
        var results = new List<(PendingHalf, LocalTransactionState)>(halves.Count);
        CheckTarget[] targets;
        try
        {
            targets = await grainFactory.GetGrain<IProducerGroupGrain>(group).GetCheckTargetsAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogGroupUnreachable(group, e);
            targets = [];
        }

        if (targets.Length == 0)
        {
            LogNoProducer(group, halves.Count);
            foreach (var half in halves)
            {
                results.Add((half, LocalTransactionState.Unknown));
            }

            return results;
        }

        var remaining = new List<(PendingHalf Half, TransactionCheck Check, int First)>(halves.Count);
        foreach (var half in halves)
        {
            if (!store.TryReadMessage(half.LogOffset, out var record))
            {
                results.Add((half, LocalTransactionState.Commit)); // The commit then finds the record gone and discards it with a log line.
                continue;
            }

            var first = Array.FindIndex(targets, t => t.ProducerId == half.Info.ProducerId);
            if (first < 0)
            {
                first = (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)targets.Length);
            }

            remaining.Add((half, new TransactionCheck(ToCheckMessage(record, half), half.Checks + 1), first));
        }

        // Round r asks each message's r-th producer in its order (the original first): a producer that failed is not asked again.
        for (var round = 0; round < targets.Length && remaining.Count > 0; round++)
        {
            var byTarget = new Dictionary<int, List<(PendingHalf Half, TransactionCheck Check, int First)>>();
            foreach (var item in remaining)
            {
                var target = (item.First + round) % targets.Length;
                if (!byTarget.TryGetValue(target, out var list))
                {
                    byTarget[target] = list = [];
                }

                list.Add(item);
            }

            var calls = byTarget.Select(async pair =>
            {
                var target = targets[pair.Key];
                try
                {
                    var states = await target.Observer.CheckAsync([.. pair.Value.Select(v => v.Check)]).WaitAsync(Settings.CheckTimeout);
                    return (pair.Value, States: states.Length == pair.Value.Count ? states : null);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    LogProducerCheckFailed(group, target.ProducerId, pair.Value.Count, e.GetType().Name, e.Message);
                    return (pair.Value, States: (LocalTransactionState[]?)null);
                }
            });

            remaining = [];
            foreach (var (items, states) in await Task.WhenAll(calls))
            {
                if (states is null)
                {
                    remaining.AddRange(items);
                    continue;
                }

                for (var i = 0; i < items.Count; i++)
                {
                    results.Add((items[i].Half, states[i]));
                }
            }
        }

        foreach (var item in remaining)
        {
            results.Add((item.Half, LocalTransactionState.Unknown));
        }

        return results;
    }

    /// <summary>The half message as its producer sees it: real topic and queue, the half's id, the bookkeeping removed.</summary>
    private StoredMessageData ToCheckMessage(StoredMessage record, PendingHalf half) => new()
    {
        Broker = Broker,
        StoreId = record.MessageId.StoreId,
        LogOffset = record.LogOffset,
        Topic = half.Info.Topic,
        QueueId = half.Info.QueueId,
        QueueOffset = -1,
        BornTimestamp = record.BornTimestamp,
        StoreTimestamp = record.StoreTimestamp,
        Flags = (int)record.Flags,
        Properties = TransactionRecords.ForDelivery(record.Properties.Span),
        Body = record.Body,
    };
}
