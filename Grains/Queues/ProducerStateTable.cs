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
/// fields plus its last <see cref="RememberedBatches"/> batches (four numbers each once stored); at most
/// <c>IdempotenceOptions.MaxProducersPerQueue</c> producers, the least recently seen forgotten first.
/// </remarks>
internal sealed class ProducerStateTable(int maxProducers)
{
    /// <summary>
    /// Batches remembered per producer: twice the 5 a producer may have in flight per queue (Kafka's limit with
    /// idempotence). While a batch is sent again after a lost acknowledgement the producer sends no new batch to the
    /// queue, but the ones already on their way (up to 4, and one more each that left just before the producer
    /// noticed) may be accepted before the resend arrives; it must still be recognised then.
    /// </summary>
    public const int RememberedBatches = 10;

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

    /// <summary>
    /// The results of a batch stored in a queue from <paramref name="firstQueueOffset"/> on, read back from the store:
    /// each message must carry the producer's id and the next sequence from <paramref name="baseSequence"/>. Null when
    /// they are gone (retention), are not that batch's or cannot be read.
    /// </summary>
    /// <remarks>Reads the store directly (blocking file reads); call it off the grain scheduler.</remarks>
    public static AppendedMessage[]? ReadStored(MessageStore store, string topic, int queueId, long producerId, long baseSequence, int count, long firstQueueOffset)
    {
        var messages = new AppendedMessage[count];
        var found = 0;
        try
        {
            while (found < count)
            {
                var read = store.Read(topic, queueId, firstQueueOffset + found, count - found, 16 * 1024 * 1024);
                if (read.Status != ReadStatus.Found)
                {
                    return null;
                }

                var span = read.Records.Span;
                var position = 0;
                while (found < count && position < span.Length && StoredRecord.TryParse(span[position..], out var record))
                {
                    position += record.TotalSize;
                    if (record.QueueOffset != firstQueueOffset + found
                        || !SequenceProperty.TryRead(record.Properties, out var id, out var sequence)
                        || id != producerId
                        || sequence != baseSequence + found)
                    {
                        return null;
                    }

                    messages[found++] = new AppendedMessage(SendStatus.Ok, record.LogOffset, record.QueueOffset);
                }

                if (position == 0)
                {
                    return null; // Nothing parsed: never loop on the same offset.
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ObjectDisposedException)
        {
            return null; // The batch is stored all the same: the duplicate is answered as one whose ids are unknown.
        }

        return messages;
    }

    private void Evict()
    {
        var oldest = long.MaxValue;
        var victim = 0L;
        foreach (var (producerId, state) in _states)
        {
            if (state.Waiting == 0 && !state.HasPending && state.LastUsed < oldest)
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

    /// <summary>An overlap with the last accepted sequence, or a gap after it that did not fill: refuse.</summary>
    OutOfOrder,

    /// <summary>Starts past the next expected sequence: wait for the producer's earlier batches, then decide.</summary>
    Gap,
}

/// <summary>
/// What a producer's state remembers of an accepted batch for a duplicate: its result while it is being stored (or
/// when it was not a plain success), else only where its first message went in the queue, from which the grain reads
/// the message ids back (<see cref="ProducerStateTable.ReadStored"/>).
/// </summary>
/// <param name="Result">The batch's result; null when only <paramref name="FirstQueueOffset"/> is kept.</param>
/// <param name="FirstQueueOffset">Queue offset of the batch's first message when <paramref name="Result"/> is null.</param>
internal readonly record struct RememberedBatch(Task<AppendResponse>? Result, long FirstQueueOffset);

/// <summary>One producer's state in one queue.</summary>
internal sealed class ProducerState
{
    // A stored batch keeps four numbers, not its result (an array of per-message results): with 1,000 queues each
    // result lived for seconds, long enough to survive gen0 collections, and the broker promoted 15-25 MB per gen0
    // collection (10-20 ms pauses) instead of a few hundred KB (W4, docs/benchmarks.md).
    private readonly Slot[] _batches = new Slot[ProducerStateTable.RememberedBatches];
    private int _next;
    private TaskCompletionSource? _advanced;

    /// <summary>
    /// Last sequence accepted (queued to the store, in order; stored unless that batch's result says otherwise); -1
    /// when none is known (a new producer, or one forgotten).
    /// </summary>
    public long LastSequence { get; set; } = -1;

    /// <summary>Where each sequence found in the log was stored (after a rebuild); dropped at the producer's next new batch.</summary>
    public Dictionary<long, (long LogOffset, long QueueOffset)>? Recovered { get; set; }

    /// <summary>Logical time of last use, for eviction.</summary>
    public long LastUsed { get; set; }

    /// <summary>Batches waiting for this producer's earlier ones (<see cref="SequenceDecision.Gap"/>).</summary>
    public int Waiting { get; set; }

    /// <summary>Completes when the next batch is accepted (<see cref="LastSequence"/> moves).</summary>
    public Task Advanced => (_advanced ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>True while an accepted batch is still being stored.</summary>
    public bool HasPending
    {
        get
        {
            foreach (var batch in _batches)
            {
                if (batch.Result is { IsCompleted: false })
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Decides what to do with a batch of <paramref name="count"/> messages starting at <paramref name="baseSequence"/>.</summary>
    public SequenceDecision Classify(long baseSequence, int count, bool resync)
    {
        if (LastSequence < 0)
        {
            // Unknown producer: its first batch starts at 0; a later one may be ahead of it, or the queue forgot the producer.
            return baseSequence == 0 || resync ? SequenceDecision.New : SequenceDecision.Gap;
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

        return baseSequence == LastSequence + 1 || resync ? SequenceDecision.New : SequenceDecision.Gap;
    }

    /// <summary>
    /// What is remembered of an already accepted batch: its result (still pending when it is being stored; a failure
    /// when it was accepted and then not stored, so that its messages are sent again with new sequences), or where it
    /// was stored; null when no longer known.
    /// </summary>
    public RememberedBatch? FindDuplicate(long baseSequence, int count, long storeId)
    {
        foreach (var batch in _batches)
        {
            if (batch.Count == count && batch.BaseSequence == baseSequence && (batch.Result is not null || batch.FirstQueueOffset >= 0))
            {
                return new RememberedBatch(batch.Result, batch.FirstQueueOffset);
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

        return new RememberedBatch(Task.FromResult(new AppendResponse(SendStatus.Ok, storeId, messages)), -1);
    }

    /// <summary>Remembers a batch queued to the store; <paramref name="result"/> completes when it is stored (or failed).</summary>
    public void Accept(long baseSequence, int count, Task<AppendResponse> result)
    {
        LastSequence = baseSequence + count - 1;
        _batches[_next] = new Slot(baseSequence, count, result, -1);
        _next = (_next + 1) % _batches.Length;
        Recovered = null;
        if (_advanced is { } advanced)
        {
            _advanced = null;
            advanced.SetResult();
        }
    }

    /// <summary>
    /// After <paramref name="result"/> completed with <paramref name="response"/>: when every message was stored, one
    /// after another in the queue, only the first one's queue offset is kept; any other outcome keeps the result.
    /// </summary>
    public void Stored(Task<AppendResponse> result, AppendResponse response)
    {
        var messages = response.Messages;
        if (response.Status != SendStatus.Ok || messages.Length == 0 || messages[0].QueueOffset < 0)
        {
            return;
        }

        var first = messages[0].QueueOffset;
        for (var i = 0; i < messages.Length; i++)
        {
            if (messages[i].Status != SendStatus.Ok || messages[i].QueueOffset != first + i)
            {
                return;
            }
        }

        for (var i = 0; i < _batches.Length; i++)
        {
            ref var batch = ref _batches[i];
            if (ReferenceEquals(batch.Result, result))
            {
                batch = new Slot(batch.BaseSequence, batch.Count, null, first);
                return;
            }
        }
    }

    private readonly record struct Slot(long BaseSequence, int Count, Task<AppendResponse>? Result, long FirstQueueOffset);
}

/// <summary>A producer's sequences found in a queue's newest records.</summary>
internal sealed class RecoveredProducer
{
    /// <summary>Highest sequence found.</summary>
    public long LastSequence { get; set; } = -1;

    /// <summary>Sequence → where it was stored.</summary>
    public Dictionary<long, (long LogOffset, long QueueOffset)> Stored { get; } = [];
}
