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
/// has a free in-flight slot, so batch size adapts to load (natural batching).
/// </summary>
/// <remarks>Thread-safe; the lock guards only the pending list and counters, never I/O.</remarks>
internal sealed class QueueSender
{
    private readonly Producer _producer;
    private readonly IMessageQueueGrain _grain;
    private readonly ProducerOptions _options;
    private readonly Lock _gate = new();
    private List<PendingSend> _pending = [];
    private int _pendingBytes;
    private int _inFlight;
    private bool _lingering;

    public QueueSender(Producer producer, IClusterClient client, MessageQueue queue, ProducerOptions options)
    {
        _producer = producer;
        _options = options;
        Queue = queue;
        _grain = client.GetGrain<IMessageQueueGrain>(new QueueKey(queue.Broker, queue.Topic, queue.QueueId).ToString());
    }

    public MessageQueue Queue { get; }

    public void Enqueue(PendingSend send)
    {
        List<PendingSend>? batch = null;
        var linger = false;
        lock (_gate)
        {
            _pending.Add(send);
            _pendingBytes += send.Size;
            if (_inFlight < _options.MaxInFlightBatchesPerQueue && !_lingering)
            {
                if (_options.Linger > TimeSpan.Zero && _pendingBytes < _options.MaxBatchBytes)
                {
                    _lingering = linger = true;
                }
                else
                {
                    batch = TakeBatch();
                }
            }
        }

        if (batch is not null)
        {
            _ = SendAsync(batch);
        }
        else if (linger)
        {
            _ = LingerThenSendAsync();
        }
    }

    private async Task LingerThenSendAsync()
    {
        await Task.Delay(_options.Linger);
        List<PendingSend>? batch;
        lock (_gate)
        {
            _lingering = false;
            batch = _pending.Count > 0 && _inFlight < _options.MaxInFlightBatchesPerQueue ? TakeBatch() : null;
        }

        if (batch is not null)
        {
            await SendAsync(batch);
        }
    }

    /// <summary>Takes up to one batch of pending messages; the caller holds the lock.</summary>
    private List<PendingSend> TakeBatch()
    {
        _inFlight++;
        if (_pending.Count <= _options.MaxBatchMessages && _pendingBytes <= _options.MaxBatchBytes)
        {
            var all = _pending;
            _pending = [];
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

    private async Task SendAsync(List<PendingSend> batch)
    {
        while (true)
        {
            await SendBatchAsync(batch);
            lock (_gate)
            {
                _inFlight--;
                if (_pending.Count == 0 || _lingering)
                {
                    return;
                }

                batch = TakeBatch();
            }
        }
    }

    private async Task SendBatchAsync(List<PendingSend> batch)
    {
        AppendResponse response;
        using (var buffer = new PooledBufferWriter(EstimateSize(batch)))
        {
            var scheduled = false;
            foreach (var send in batch)
            {
                MessageBatchWriter.Write(buffer, send.BornTimestamp, send.Flags, send.Properties, send.Body.Span);
                scheduled |= (send.Flags & MessageFlags.Scheduled) != 0;
            }

            using var timeout = new CancellationTokenSource(_options.SendTimeout);
            try
            {
                // The pooled buffer goes back only after the call completes: by then Orleans has serialized the request
                // (remote broker) or the store has finished with it (co-hosted), and neither keeps it.
                response = await _grain.AppendAsync(new AppendRequest(buffer.WrittenMemory, batch.Count, scheduled), timeout.Token);
            }
            catch (Exception e)
            {
                _producer.OnBatchFailed(this, batch, e);
                return;
            }
        }

        _producer.OnBatchCompleted(this, batch, response);
    }

    private static int EstimateSize(List<PendingSend> batch)
    {
        var size = 0;
        foreach (var send in batch)
        {
            size += send.Size + 32;
        }

        return size;
    }
}
