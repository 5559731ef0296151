using System.Diagnostics;
using OrleansMq.Grains.Naming;
using OrleansMq.Grains.Queues;

namespace OrleansMq.Grains.Transactions;

/// <summary>
/// Start and stop. At start the pending set is rebuilt before the silo takes calls: the half queue is read from the
/// recovery point recorded in the newest op marker (every half message below it was finished), then the op markers
/// written since the oldest of those half messages remove finished ones and count the checks already made.
/// </summary>
internal sealed partial class TransactionService
{
    /// <summary>Newest op markers read at start even without pending half messages, so recent outcomes are remembered (about a second of busy traffic).</summary>
    private const int RememberedMarkers = 16_384;

    /// <summary>Half records and op markers read by the last start (tests check that recovery reads only the live part).</summary>
    internal (int Halves, int Markers) LastRecovery { get; private set; }

    private Task StartAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var (halves, markers) = LastRecovery = Recover();
        LogRecovered(PendingCount, halves, markers, watch.ElapsedMilliseconds);
        Loop.Start(PassAsync);
        return Task.CompletedTask;
    }

    private Task StopAsync(CancellationToken cancellationToken) => Loop.StopAsync();

    /// <summary>Rebuilds the pending set; returns how many half records and op markers were read.</summary>
    private (int Halves, int Markers) Recover()
    {
        var store = Store;
        var halfRange = store.GetQueueRange(SystemTopics.TransactionHalf, HalfQueue);
        var opRange = store.GetQueueRange(SystemTopics.TransactionOp, OpQueue);
        var from = halfRange.Min;
        if (opRange.Max > opRange.Min)
        {
            foreach (var last in store.ReadForward(SystemTopics.TransactionOp, 0, opRange.Max - 1))
            {
                if (TransactionRecords.TryReadOp(last, out _, out var recoverFrom, out _))
                {
                    from = Math.Max(from, recoverFrom);
                }
            }
        }

        var halves = 0;
        var markers = 0;
        var now = Now;
        lock (_gate)
        {
            var oldest = long.MaxValue;
            foreach (var record in store.ReadForward(SystemTopics.TransactionHalf, 0, from))
            {
                halves++;
                if (!TransactionRecords.TryReadHalf(record.Properties.Span, out var info))
                {
                    LogBadHalf(record.LogOffset);
                    continue;
                }

                _pending[record.LogOffset] = new PendingHalf(record.LogOffset, record.QueueOffset, info, recovered: true);
                _unfinished.Add(record.QueueOffset);
                oldest = Math.Min(oldest, record.StoreTimestamp);
            }

            // Store timestamps never go backwards, so every marker about these half messages was stored at or after the
            // oldest of them. The newest markers are read in any case, to remember recent outcomes.
            var opFrom = Math.Max(opRange.Min, opRange.Max - RememberedMarkers);
            if (_pending.Count > 0)
            {
                opFrom = Math.Min(opFrom, store.GetQueueOffsetByTime(SystemTopics.TransactionOp, OpQueue, oldest));
            }

            if (opFrom < opRange.Max)
            {
                foreach (var marker in store.ReadForward(SystemTopics.TransactionOp, 0, opFrom))
                {
                    markers++;
                    if (TransactionRecords.TryReadOp(marker, out var kind, out _, out var offsets))
                    {
                        Apply(kind, offsets, marker.BornTimestamp);
                    }
                }
            }

            foreach (var half in _pending.Values)
            {
                half.NextCheckAt = half.Checks == 0
                    ? half.Info.PreparedAt + (long)Settings.TransactionTimeout.TotalMilliseconds
                    : half.LastCheckAt + (long)Settings.CheckInterval.TotalMilliseconds;
                if (half.Checks >= Settings.MaxChecks)
                {
                    half.NextCheckAt = now;
                }

                _due.Enqueue(half.LogOffset, half.NextCheckAt);
            }
        }

        return (halves, markers);
    }

    private void Apply(string kind, long[] offsets, long at)
    {
        foreach (var offset in offsets)
        {
            _pending.TryGetValue(offset, out var half);
            if (kind == TransactionRecords.Check)
            {
                if (half is not null)
                {
                    half.Checks++;
                    half.LastCheckAt = Math.Max(half.LastCheckAt, at);
                }

                continue;
            }

            if (half is not null)
            {
                _pending.Remove(offset);
                _unfinished.Remove(half.QueueOffset);
            }

            Remember(offset, kind switch
            {
                TransactionRecords.Commit => EndTransactionStatus.Committed,
                TransactionRecords.Rollback => EndTransactionStatus.RolledBack,
                _ => EndTransactionStatus.AlreadyDiscarded,
            });
        }
    }
}
