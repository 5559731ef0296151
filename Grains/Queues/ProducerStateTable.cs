using OrleansMq.Grains.Messages;
using OrleansMq.Storage;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Queues;

/// <summary>
/// The idempotent producers of one queue: per producer id, the last sequence stored and the results of its last
/// batches, so a batch sent again after a lost acknowledgement is answered with its original results instead of
/// being stored twice (Kafka's producer state, per partition).
/// </summary>
/// <remarks>
/// Owned by one queue grain activation and used only on its scheduler (not thread-safe). Memory: per producer a few
/// fields plus references to its last <see cref="RememberedBatches"/> responses; at most
/// <c>IdempotenceOptions.MaxProducersPerQueue</c> producers, the least recently seen forgotten first.
/// </remarks>
internal sealed class ProducerStateTable(int maxProducers)
{
    /// <summary>
    /// Batches remembered per producer. A producer has one batch in flight per queue, so only its last batch can be
    /// retried; 5 (Kafka's max in-flight with idempotence) also answers late duplicates of a few earlier attempts.
    /// </summary>
    public const int RememberedBatches = 5;

    /// <summary>Records read per step when rebuilding from the log.</summary>
    private const int ScanBatch = 1024;

    private readonly Dictionary<long, ProducerState> _states = [];
    private long _clock;

    /// <summary>Producers known.</summary>
    public int Count => _states.Count;

    /// <summary>The state of a producer, created empty (no sequence known) for a new one.</summary>
    public ProducerState GetOrAdd(long producerId)
    {
        if (!_states.TryGetValue(producerId, out var state))
        {
            if (_states.Count >= maxProducers)
            {
                Evict();
            }

            state = new ProducerState();
            _states.Add(producerId, state);
        }

        state.LastUsed = ++_clock;
        return state;
    }

    /// <summary>Adds producer states rebuilt from the log.</summary>
    public void Load(Dictionary<long, RecoveredProducer> recovered)
    {
        foreach (var (producerId, producer) in recovered)
        {
            var state = GetOrAdd(producerId);
            state.LastSequence = producer.LastSequence;
            state.Recovered = producer.Stored;
        }
    }

    /// <summary>
    /// Reads the newest <paramref name="records"/> records of a queue and collects, per producer id found in their
    /// <c>PSEQ</c> property, the highest sequence and where each sequence was stored.
    /// </summary>
    /// <remarks>Reads the store directly (blocking file reads); call it off the grain scheduler.</remarks>
    public static Dictionary<long, RecoveredProducer> Scan(MessageStore store, string topic, int queueId, int records)
    {
        var result = new Dictionary<long, RecoveredProducer>();
        var range = store.GetQueueRange(topic, queueId);
        var offset = Math.Max(range.Min, range.Max - records);
        while (records > 0 && offset < range.Max)
        {
            var read = store.Read(topic, queueId, offset, (int)Math.Min(ScanBatch, range.Max - offset), 16 * 1024 * 1024);
            if (read.Status == ReadStatus.OffsetTooSmall && read.NextQueueOffset > offset)
            {
                offset = read.NextQueueOffset; // Retention removed the oldest part meanwhile.
                continue;
            }

            if (read.Status != ReadStatus.Found)
            {
                break;
            }

            var span = read.Records.Span;
            var position = 0;
            while (position < span.Length && StoredRecord.TryParse(span[position..], out var record))
            {
                position += record.TotalSize;
                if (!SequenceProperty.TryRead(record.Properties, out var producerId, out var sequence))
                {
                    continue;
                }

                if (!result.TryGetValue(producerId, out var producer))
                {
                    producer = new RecoveredProducer();
                    result.Add(producerId, producer);
                }

                producer.Stored[sequence] = (record.LogOffset, record.QueueOffset);
                producer.LastSequence = Math.Max(producer.LastSequence, sequence);
            }

            offset = read.NextQueueOffset;
        }

        return result;
    }

    private void Evict()
    {
        var oldest = long.MaxValue;
        var victim = 0L;
        foreach (var (producerId, state) in _states)
        {
            if (state.Busy is null && state.LastUsed < oldest)
            {
                oldest = state.LastUsed;
                victim = producerId;
            }
        }

        if (oldest != long.MaxValue)
        {
            _states.Remove(victim);
        }
    }
}

/// <summary>How a queue treats an idempotent batch.</summary>
internal enum SequenceDecision
{
    /// <summary>Store it.</summary>
    New,

    /// <summary>Already stored: answer with the remembered results.</summary>
    Duplicate,

    /// <summary>Already stored, but the results are no longer known.</summary>
    DuplicateUnknown,

    /// <summary>A gap after, or an overlap with, the last stored sequence: refuse.</summary>
    OutOfOrder,
}

/// <summary>One producer's state in one queue.</summary>
internal sealed class ProducerState
{
    private readonly (long BaseSequence, int Count, AppendResponse Response)[] _batches = new (long, int, AppendResponse)[ProducerStateTable.RememberedBatches];
    private int _next;

    /// <summary>Last sequence stored; -1 when none is known (a new producer, or one forgotten).</summary>
    public long LastSequence { get; set; } = -1;

    /// <summary>Where each sequence found in the log was stored (after a rebuild); dropped at the producer's next new batch.</summary>
    public Dictionary<long, (long LogOffset, long QueueOffset)>? Recovered { get; set; }

    /// <summary>Completes when the batch being processed for this producer is done; null when idle.</summary>
    public Task? Busy { get; set; }

    /// <summary>Logical time of last use, for eviction.</summary>
    public long LastUsed { get; set; }

    /// <summary>Decides what to do with a batch of <paramref name="count"/> messages starting at <paramref name="baseSequence"/>.</summary>
    public SequenceDecision Classify(long baseSequence, int count, bool resync)
    {
        if (LastSequence < 0)
        {
            return SequenceDecision.New;
        }

        var last = baseSequence + count - 1;
        if (last <= LastSequence)
        {
            return SequenceDecision.Duplicate;
        }

        if (baseSequence <= LastSequence)
        {
            return SequenceDecision.OutOfOrder;
        }

        return baseSequence == LastSequence + 1 || resync ? SequenceDecision.New : SequenceDecision.OutOfOrder;
    }

    /// <summary>The original results of an already stored batch, or null when they are no longer known.</summary>
    public AppendResponse? FindDuplicate(long baseSequence, int count, long storeId)
    {
        foreach (var batch in _batches)
        {
            if (batch.Response is not null && batch.BaseSequence == baseSequence && batch.Count == count)
            {
                return batch.Response;
            }
        }

        if (Recovered is not { } recovered)
        {
            return null;
        }

        var messages = new AppendedMessage[count];
        for (var i = 0; i < count; i++)
        {
            if (!recovered.TryGetValue(baseSequence + i, out var stored))
            {
                return null;
            }

            messages[i] = new AppendedMessage(SendStatus.Ok, stored.LogOffset, stored.QueueOffset);
        }

        return new AppendResponse(SendStatus.Ok, storeId, messages);
    }

    /// <summary>Remembers a stored batch.</summary>
    public void Record(long baseSequence, int count, AppendResponse response)
    {
        LastSequence = baseSequence + count - 1;
        _batches[_next] = (baseSequence, count, response);
        _next = (_next + 1) % _batches.Length;
        Recovered = null;
    }
}

/// <summary>A producer's sequences found in a queue's newest records.</summary>
internal sealed class RecoveredProducer
{
    /// <summary>Highest sequence found.</summary>
    public long LastSequence { get; set; } = -1;

    /// <summary>Sequence → where it was stored.</summary>
    public Dictionary<long, (long LogOffset, long QueueOffset)> Stored { get; } = [];
}
