using OrleansMq.Client.Internal;
using OrleansMq.Client.Messages;
using OrleansMq.Grains;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Routing;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Client.Producing;

/// <summary>
/// Accumulates the messages of one queue and sends them as batches: one grain call stores a whole batch under one
/// group commit on the broker. With <see cref="ProducerOptions.Linger"/> zero a batch leaves as soon as the queue
/// has a free in-flight slot (natural batching: batch size adapts to load); it leaves from a thread-pool item, so a
/// burst of sends made in one go shares the batch.
/// </summary>
/// <remarks>
/// Thread-safe. <c>_gate</c> guards only the pending list and counters, never I/O. <c>_inFlight</c> counts the slots
/// taken, including one whose batch has not left yet (lingering or queued to the thread pool). Each slot runs a send
/// loop; with several slots (<see cref="ProducerOptions.MaxInFlightBatchesPerQueue"/>) the loops take, number, encode
/// and send their batches under <c>_issueLock</c>, so batches leave in the order their messages were sent and their
/// sequences follow one another: the queue then accepts each batch behind the previous one while that one is still
/// being stored (the idempotent producer's pipelining, as Kafka's with up to five requests in flight).
/// </remarks>
internal sealed class QueueSender : IThreadPoolWorkItem
{
    private readonly Producer _producer;
    private readonly IMessageQueueGrain _grain;
    private readonly ProducerOptions _options;
    private readonly Lock _gate = new();
    private readonly Lock _issueLock = new();
    private readonly long _producerId;
    private List<PendingSend> _pending = [];
    private int _pendingBytes;
    private int _inFlight;
    private bool _lingering;
    private volatile bool _gathering;

    // Idempotence (under _issueLock, but _resync is also set when a batch completes): the next sequence in this queue,
    // and whether a batch was not fully acknowledged (its sequences may never have been accepted, so the next batch
    // tells the queue to accept the gap).
    private long _nextSequence;
    private volatile bool _resync;
    private byte[] _scratch = [];

    // Batches being sent again after an ambiguous failure. While one is, no new batch of this queue leaves: the queue then
    // accepts at most the batches already on their way behind it before the resend arrives, so it still remembers that
    // batch's results (it remembers twice as many batches as may be in flight) instead of answering DuplicateSequence.
    private int _sendingAgain;

    public QueueSender(Producer producer, IClusterClient client, MessageQueue queue, ProducerOptions options)
    {
        _producer = producer;
        _options = options;
        _producerId = producer.ProducerId;
        Queue = queue;
        _grain = client.GetGrain<IMessageQueueGrain>(new QueueKey(queue.Broker, queue.Topic, queue.QueueId).ToString());
    }

    public MessageQueue Queue { get; }

    /// <summary>True while a batch of this queue is being sent (read without the lock: a hint for queue selection).</summary>
    public bool HasBatchInFlight => Volatile.Read(ref _inFlight) > 0;

    /// <summary>
    /// True while a slot is taken for a batch that has not left yet (queued to the thread pool or lingering), so a message
    /// enqueued now leaves with it rather than after an answer (a hint for queue selection).
    /// </summary>
    public bool IsGathering => _gathering;

    public void Enqueue(PendingSend send)
    {
        bool start;
        var linger = false;
        lock (_gate)
        {
            _pending.Add(send);
            _pendingBytes += send.Size;
            // A batch leaves at once into an idle queue; beside one in flight only once it is worth its own call.
            start = !_lingering && (_inFlight == 0 || (_inFlight < _options.MaxInFlightBatchesPerQueue && _pendingBytes >= _options.MinPipelinedBatchBytes));
            if (start)
            {
                // The slot is taken now, so messages enqueued before the batch leaves join it.
                _inFlight++;
                _gathering = true;
                if (_options.Linger > TimeSpan.Zero && _pendingBytes < _options.MaxBatchBytes)
                {
                    _lingering = linger = true;
                }
            }
        }

        if (linger)
        {
            _ = LingerThenSendAsync();
        }
        else if (start)
        {
            // The batch leaves from a thread-pool item, not from this call: a caller sending a burst synchronously
            // (a loop of SendAsync) fills the batch first, so the burst goes in one call instead of its first message
            // alone and the rest one round trip later. Preferring the local queue runs the item once the caller's
            // current work item ends, unless an idle worker takes it sooner.
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
        }
    }

    /// <summary>Sends what is pending in the slot <see cref="Enqueue"/> took.</summary>
    void IThreadPoolWorkItem.Execute() => _ = SendLoopAsync(reserved: true);

    private async Task LingerThenSendAsync()
    {
        await Task.Delay(_options.Linger);
        lock (_gate)
        {
            _lingering = false;
        }

        await SendLoopAsync(reserved: true);
    }

    /// <summary>Takes up to one batch of pending messages; the caller holds the lock.</summary>
    private List<PendingSend> TakeBatch()
    {
        _inFlight++;
        if (_pending.Count <= _options.MaxBatchMessages && _pendingBytes <= _options.MaxBatchBytes)
        {
            var all = _pending;
            // Sized like the batch just taken: growing from empty copied the array five times per batch of ~125.
            _pending = new List<PendingSend>(Math.Min(all.Count, _options.MaxBatchMessages));
            _pendingBytes = 0;
            return all;
        }

        var count = 0;
        var bytes = 0;
        while (count < _pending.Count && count < _options.MaxBatchMessages && (count == 0 || bytes + _pending[count].Size <= _options.MaxBatchBytes))
        {
            bytes += _pending[count].Size;
            count++;
        }

        var batch = _pending.GetRange(0, count);
        _pending.RemoveRange(0, count);
        _pendingBytes -= bytes;
        return batch;
    }

    /// <summary>
    /// One slot's send loop: sends a batch, waits for its answer, and goes on while messages are pending. A reserved
    /// slot (taken by <see cref="Enqueue"/>) sends even while a linger is set, since it is the lingering slot.
    /// </summary>
    private async Task SendLoopAsync(bool reserved)
    {
        while (Issue(reserved) is { } sent)
        {
            reserved = false;
            await CompleteAsync(sent);
        }
    }

    /// <summary>
    /// Frees the caller's slot and takes it again for the next batch, if any: numbers, encodes and sends it. Under
    /// <c>_issueLock</c> from taking to sending, so batches leave in the order they were taken.
    /// </summary>
    private SentBatch? Issue(bool reserved)
    {
        lock (_issueLock)
        {
            List<PendingSend> batch;
            lock (_gate)
            {
                _inFlight--;
                if (reserved)
                {
                    _gathering = false;
                }

                if (_pending.Count == 0 || (_lingering && !reserved) || Volatile.Read(ref _sendingAgain) > 0
                    || (_inFlight > 0 && _pendingBytes < _options.MinPipelinedBatchBytes))
                {
                    // Empty when another slot's loop took the messages meanwhile; a slot sending a batch again issues
                    // what is pending once it has its answer; too little to go beside a batch still in flight leaves
                    // when that one's answer frees its slot, or with the send that makes it enough.
                    return null;
                }

                batch = TakeBatch();
            }

            var idempotent = _producerId != 0;
            var buffer = new PooledBufferWriter(EstimateSize(batch, idempotent));
            var scheduled = false;
            var baseSequence = _nextSequence;
            for (var i = 0; i < batch.Count; i++)
            {
                var send = batch[i];
                WriteMessage(buffer, send, idempotent ? baseSequence + i : -1);

                scheduled |= (send.Flags & MessageFlags.Scheduled) != 0;
            }

            // Sequences are never reused, even when the batch fails: a late attempt of it then can never be taken for a later batch.
            _nextSequence += idempotent ? batch.Count : 0;
            var request = idempotent
                ? new AppendRequest(buffer.WrittenMemory, batch.Count, scheduled, _producerId, baseSequence, _resync)
                : new AppendRequest(buffer.WrittenMemory, batch.Count, scheduled);
            _resync = false;
            var sent = new SentBatch(batch, buffer, request);
            sent.Start(_grain, _options.SendTimeout);
            return sent;
        }
    }

    /// <summary>Waits for a sent batch's answer (sending it again once after an ambiguous failure) and reports it to the producer.</summary>
    private async Task CompleteAsync(SentBatch sent)
    {
        var batch = sent.Batch;
        var idempotent = _producerId != 0;
        AppendResponse response;
        var sentAgain = false;
        using (sent)
        {
            try
            {
                while (true)
                {
                    try
                    {
                        // The pooled buffer goes back only after the call completes: by then Orleans has serialized the request
                        // (remote broker) or the store has finished with it (co-hosted), and neither keeps it.
                        response = await sent.Call;
                        ProducerInstruments.BatchAnswered(Queue.Topic, batch.Count, sent.Started);
                        break;
                    }
                    catch (Exception e) when (idempotent && !sentAgain && Producer.IsAmbiguous(e) && HasAttemptsLeft(batch))
                    {
                        // The queue may have stored the batch: send it again unchanged; a duplicate is answered with the original results.
                        sentAgain = true;
                        Interlocked.Increment(ref _sendingAgain);
                        foreach (var send in batch)
                        {
                            send.Attempt++;
                        }

                        _producer.OnBatchSentAgain(this, batch.Count, e);
                        sent.Start(_grain, _options.SendTimeout);
                    }
                    catch (Exception e)
                    {
                        _resync = idempotent;
                        _producer.OnBatchFailed(this, batch, e);
                        return;
                    }
                }
            }
            finally
            {
                if (sentAgain)
                {
                    Interlocked.Decrement(ref _sendingAgain);
                }
            }
        }

        if (idempotent && !AllStored(response, batch.Count))
        {
            _resync = true;
        }

        _producer.OnBatchCompleted(this, batch, response);
    }

    /// <summary>
    /// Writes a message into the batch with its properties as accepted, then its unique key and, for an idempotent
    /// producer (<paramref name="sequence"/> ≥ 0), its sequence: the producer adds these two as the batch is written
    /// (no allocation once the scratch buffer has grown).
    /// </summary>
    private void WriteMessage(PooledBufferWriter buffer, PendingSend send, long sequence)
    {
        var length = send.Properties.Length;
        var needed = length + UniqueKeyGenerator.PropertySize + SequenceProperty.MaxEncodedSize;
        if (_scratch.Length < needed)
        {
            _scratch = new byte[Math.Max(256, needed)];
        }

        send.Properties.CopyTo(_scratch, 0);
        length += send.UniqueKey.WriteProperty(_scratch.AsSpan(length));
        if (sequence >= 0)
        {
            length += SequenceProperty.Write(_scratch.AsSpan(length), _producerId, sequence);
        }

        MessageBatchWriter.Write(buffer, send.BornTimestamp, send.Flags, _scratch.AsSpan(0, length), send.Body.Span);
    }

    private bool HasAttemptsLeft(List<PendingSend> batch)
    {
        foreach (var send in batch)
        {
            if (!send.Oneway && send.Attempt < _options.RetryTimes)
            {
                return true;
            }
        }

        return false;
    }

    private static bool AllStored(AppendResponse response, int count)
    {
        if (response.Messages.Length != count)
        {
            return false;
        }

        foreach (var message in response.Messages)
        {
            if (message.Status is not (SendStatus.Ok or SendStatus.FlushDiskTimeout))
            {
                return false;
            }
        }

        return true;
    }

    private static int EstimateSize(List<PendingSend> batch, bool idempotent)
    {
        var perEntry = MessageBatchWriter.EntryHeaderSize + (idempotent ? SequenceProperty.MaxEncodedSize : 0) + 8;
        var size = 0;
        foreach (var send in batch)
        {
            size += send.Size + perEntry;
        }

        return size;
    }
}
