using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.Messaging;
using OrleansMq.Client.Messages;
using OrleansMq.Client.Routing;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Routing;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Client.Producing;

/// <summary>
/// Sends messages: synchronously awaited (<see cref="SendAsync"/>), with a callback (<see cref="Send"/>) or one-way
/// (<see cref="SendOneway"/>). Messages are spread over the topic's writable queues (<see cref="ProducerOptions.QueueSelection"/>), batched per queue,
/// and retried on another broker when a broker fails (at most <see cref="ProducerOptions.RetryTimes"/> times).
/// </summary>
/// <remarks>
/// Thread-safe; share one producer per process. With <see cref="ProducerOptions.EnableIdempotence"/> (the default) a
/// queue stores each batch at most once, so a retry after a lost acknowledgement does not duplicate it; a message
/// moved to another broker after its broker failed may still be stored twice (same unique key), as it always may
/// without idempotence. Sends wait while <see cref="ProducerOptions.MaxInFlightMessages"/> or
/// <see cref="ProducerOptions.MaxInFlightBytes"/> are reached (backpressure).
/// </remarks>
public sealed partial class Producer : IAsyncDisposable
{
    private readonly IClusterClient _client;
    private readonly RouteCache _routes;
    private readonly ILogger _logger;
    private readonly InFlightLimiter _limiter;
    private readonly BrokerFaultTracker _faults;
    private readonly StickyQueueSelector<QueueSender>? _sticky;
    private readonly ConcurrentDictionary<(string Topic, int QueueId, string Broker), QueueSender> _senders = new();
    private readonly TimeProvider _time = TimeProvider.System;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _outstanding;
    private volatile bool _disposing;

    internal Producer(IClusterClient client, RouteCache routes, ProducerOptions options, ILogger logger)
    {
        if (options.Validate() is { Count: > 0 } errors)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        _client = client;
        _routes = routes;
        Options = options;
        _logger = logger;
        _limiter = new InFlightLimiter(options.MaxInFlightMessages, options.MaxInFlightBytes);
        _faults = new BrokerFaultTracker(options.BrokerFaultBackoff, _time);
        _sticky = options.QueueSelection == QueueSelection.Sticky ? new StickyQueueSelector<QueueSender>(
                _faults, options.StickyQueueBytes, SenderFor, static s => s.HasBatchInFlight, static s => s.IsGathering, () => _limiter.InFlightBytes)
            : null;
        ProducerId = options.EnableIdempotence ? NewProducerId() : 0;
    }

    /// <summary>The producer's settings.</summary>
    public ProducerOptions Options { get; }

    /// <summary>
    /// Idempotent producer: this producer's id, a random non-zero 64-bit number (2^-64 collision odds per pair of
    /// producers writing the same queue); 0 when <see cref="ProducerOptions.EnableIdempotence"/> is off.
    /// </summary>
    public long ProducerId { get; }

    /// <summary>Messages accepted and not yet acknowledged.</summary>
    public int InFlightMessages => _limiter.InFlightMessages;

    /// <summary>Stores a message and returns what the broker did with it.</summary>
    /// <remarks>
    /// The task completes on a thread-pool thread, never inside the producer's send loop: the awaiting callers of one
    /// batch resume one after another from a single work item, so a caller that blocks there delays only the callers
    /// after it in that batch.
    /// </remarks>
    /// <exception cref="ArgumentException">The message is invalid (name, size, properties); nothing was sent.</exception>
    /// <exception cref="MqSendException">Every attempt failed, or the broker refused the message.</exception>
    /// <exception cref="TopicNotFoundException">The topic does not exist and auto-create is off.</exception>
    public Task<SendResult> SendAsync(Message message, CancellationToken cancellationToken = default)
    {
        // Not RunContinuationsAsynchronously, but never completed where the producer is working: a batch's results are
        // set by one thread-pool item for the whole batch (CompleteDeferred), any other outcome from an item of its own
        // (Fail). One item per message cost W1's producer ~14% of its CPU.
        var completion = new TaskCompletionSource<SendResult>();
        var accepted = AcceptAsync(message, completion, callback: null, oneway: false, cancellationToken);
        return accepted.IsCompletedSuccessfully ? completion.Task : AwaitAcceptedAsync(accepted, completion.Task);
    }

    private static async Task<SendResult> AwaitAcceptedAsync(ValueTask accepted, Task<SendResult> completion)
    {
        await accepted;
        return await completion;
    }

    /// <summary>
    /// Accepts a message for sending and returns once it is queued (after any backpressure wait);
    /// <paramref name="callback"/> runs once with the result or the failure.
    /// </summary>
    /// <remarks>
    /// Callbacks of a queue run in that queue's send loop, in send order with one batch in flight per queue (the default;
    /// as Kafka's per partition): keep them short, and never wait in one for another send, whose batch may be the one the
    /// loop cannot send until the callback returns.
    /// </remarks>
    /// <exception cref="ArgumentException">The message is invalid; the callback is not called.</exception>
    public ValueTask Send(Message message, SendCallback callback, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return AcceptAsync(message, completion: null, callback, oneway: false, cancellationToken);
    }

    /// <summary>Queues a message without waiting for its outcome and without retries (RocketMQ oneway).</summary>
    /// <exception cref="ArgumentException">The message is invalid.</exception>
    public ValueTask SendOneway(Message message, CancellationToken cancellationToken = default) =>
        AcceptAsync(message, completion: null, callback: null, oneway: true, cancellationToken);

    private async ValueTask AcceptAsync(Message message, TaskCompletionSource<SendResult>? completion, SendCallback? callback, bool oneway, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposing, this);
        var uniqueKey = UniqueKeyGenerator.Next();
        // The unique key is written with the batch: a message without other properties then needs no array of its own.
        var properties = MessageEncoder.Encode(message, Options, uniqueKey: null);
        var route = await _routes.GetForSendAsync(message.Topic);
        var send = new PendingSend
        {
            Flags = message.DeliverAt is not null || message.DelayLevel != 0 ? MessageFlags.Scheduled : MessageFlags.None,
            FixedQueueId = message.ShardingKey is null ? null : QueueForShardingKey(message.ShardingKey, route),
            Topic = message.Topic,
            Properties = properties,
            Body = message.Body,
            UniqueKey = uniqueKey,
            BornTimestamp = _time.GetUtcNow().ToUnixTimeMilliseconds(),
            Size = properties.Length + UniqueKeyGenerator.PropertySize + message.Body.Length,
            Completion = completion,
            Callback = callback,
            Oneway = oneway,
        };

        await _limiter.AcquireAsync(send.Size, cancellationToken);
        Interlocked.Increment(ref _outstanding);
        Dispatch(send, route);
    }

    private void Dispatch(PendingSend send, TopicRoute route)
    {
        if (!route.IsWritable)
        {
            Fail(send, new MqSendException(SendStatus.NoPermission, $"Topic '{send.Topic}' does not allow writes (permission {route.Permission})."));
            return;
        }

        if (route.Queues.Length == 0)
        {
            Fail(send, new MqSendException(SendStatus.TopicNotFound, $"Topic '{send.Topic}' has no queues."));
            return;
        }

        QueueSender sender;
        if (send.FixedQueueId is { } fixedQueue)
        {
            // Ordered messages stay on their queue even when its broker fails: moving them would break the order.
            if (fixedQueue >= route.Queues.Length)
            {
                Fail(send, new MqSendException(SendStatus.QueueNotOwned, $"Queue {fixedQueue} of topic '{send.Topic}' no longer exists (the topic has {route.Queues.Length} queues)."));
                return;
            }

            sender = SenderFor(send.Topic, route.Queues[fixedQueue]);
        }
        else
        {
            sender = _sticky?.Select(route, send.Size, send.AvoidBroker) ?? SenderFor(send.Topic, _faults.SelectQueue(route, send.AvoidBroker));
        }

        sender.Enqueue(send);
    }

    /// <summary>
    /// The queue of a sharding key: a stable 64-bit FNV-1a hash of its UTF-8 bytes modulo the queue count, the same in
    /// every process (string.GetHashCode is randomized per process).
    /// </summary>
    internal static int QueueForShardingKey(string key, TopicRoute route)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(key))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return (int)(hash % (ulong)Math.Max(1, route.Queues.Length));
    }

    private QueueSender SenderFor(string topic, QueueRoute queue)
    {
        var key = (topic, queue.QueueId, queue.Broker);
        return _senders.TryGetValue(key, out var sender)
            ? sender
            : _senders.GetOrAdd(key, k => new QueueSender(this, _client, new MessageQueue(k.Topic, k.Broker, k.QueueId), Options));
    }

    internal void OnBatchCompleted(QueueSender sender, List<PendingSend> batch, AppendResponse response)
    {
        var queue = sender.Queue;
        if (response.Messages.Length != batch.Count)
        {
            OnBatchRefused(sender, batch, response);
            return;
        }

        _faults.MarkHealthy(queue.Broker);
        var deferred = false;
        for (var i = 0; i < batch.Count; i++)
        {
            var send = batch[i];
            var result = response.Messages[i];
            switch (result.Status)
            {
                case SendStatus.Ok or SendStatus.FlushDiskTimeout:
                    var sent = new SendResult(result.Status, new MessageId(response.StoreId, result.LogOffset), send.UniqueKey, queue, result.QueueOffset);
                    if (send.Completion is null)
                    {
                        // Callbacks run here, in order per queue (as Kafka's do per partition).
                        Complete(send, sent);
                        break;
                    }

                    Finish(send);
                    Volatile.Write(ref send.DeferredResult, sent);
                    deferred = true;
                    break;
                case SendStatus.MessageIllegal when (send.Flags & MessageFlags.Scheduled) != 0:
                    Fail(send, new MqSendException(result.Status, $"Broker '{queue.Broker}' refused the scheduled message for topic '{send.Topic}': {response.Error}"));
                    break;
                case SendStatus.BodyTooLarge or SendStatus.PropertiesTooLarge or SendStatus.MessageIllegal:
                    Fail(send, new MqSendException(result.Status, $"Broker '{queue.Broker}' refused the message for topic '{send.Topic}': {result.Status}. {response.Error}"));
                    break;
                default:
                    Retry(send, queue.Broker, new MqSendException(result.Status, $"Broker '{queue.Broker}' did not store the message: {result.Status}. {response.Error}"));
                    break;
            }
        }

        if (deferred)
        {
            // The queue's send loop goes on with its next batch at once; awaiting callers resume from this one item.
            ThreadPool.UnsafeQueueUserWorkItem(static b => CompleteDeferred(b), batch, preferLocal: true);
        }
    }

    /// <summary>Sets the results <see cref="OnBatchCompleted"/> deferred; awaiting continuations run inline, one after another.</summary>
    /// <remarks>
    /// A send of the batch that was retried may sit in a later batch by now and have its result deferred there too:
    /// whichever item takes the result first completes it, exactly once.
    /// </remarks>
    private static void CompleteDeferred(List<PendingSend> batch)
    {
        foreach (var send in batch)
        {
            if (Interlocked.Exchange(ref send.DeferredResult, null) is { } result)
            {
                send.Completion!.TrySetResult(result);
            }
        }
    }

    private void OnBatchRefused(QueueSender sender, List<PendingSend> batch, AppendResponse response)
    {
        var queue = sender.Queue;
        var error = new MqSendException(response.Status, $"Broker '{queue.Broker}' refused a batch for {queue}: {response.Status}. {response.Error}");
        switch (response.Status)
        {
            case SendStatus.QueueNotOwned or SendStatus.TopicNotFound:
                // Our route is stale: refresh it, then retry (the retry reads the refreshed route).
                _ = RefreshThenRetryAsync(batch, queue, error);
                return;
            case SendStatus.OutOfOrderSequence:
                // Nothing was stored; the queue sender resyncs its next batch, so the retry may even use this queue.
                foreach (var send in batch)
                {
                    Retry(send, avoidBroker: null, error);
                }

                return;
            case SendStatus.ServiceUnavailable or SendStatus.DiskFull or SendStatus.StoreError:
                _faults.MarkFailed(queue.Broker);
                foreach (var send in batch)
                {
                    Retry(send, queue.Broker, error);
                }

                return;
            default:
                foreach (var send in batch)
                {
                    Fail(send, error);
                }

                return;
        }
    }

    internal void OnBatchFailed(QueueSender sender, List<PendingSend> batch, Exception exception)
    {
        var queue = sender.Queue;
        LogBatchFailed(queue.ToString(), batch.Count, exception.GetType().Name, exception.Message);
        if (!IsRetryable(exception))
        {
            var error = new MqSendException(SendStatus.Invalid, $"Sending to {queue} failed: {exception.Message}", exception);
            foreach (var send in batch)
            {
                Fail(send, error);
            }

            return;
        }

        _faults.MarkFailed(queue.Broker);
        var wrapped = new MqSendException(SendStatus.Invalid, $"Sending to {queue} failed: {exception.Message}", exception);
        foreach (var send in batch)
        {
            Retry(send, queue.Broker, wrapped);
        }
    }

    /// <summary>Idempotence: an attempt failed after the queue may have stored it, so it was sent again to the same queue.</summary>
    internal void OnBatchSentAgain(QueueSender sender, int count, Exception exception) =>
        LogBatchSentAgain(sender.Queue.ToString(), count, exception.GetType().Name, exception.Message);

    /// <summary>
    /// Failures after which the broker may or may not have stored the batch: the request may have been processed and only
    /// the answer lost. A broker that is not a cluster member, or a message Orleans rejected, means it was not processed.
    /// </summary>
    internal static bool IsAmbiguous(Exception exception) => exception is TimeoutException
        or OperationCanceledException
        or SiloUnavailableException
        or ConnectionFailedException;

    private static long NewProducerId()
    {
        long id;
        do
        {
            id = BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        }
        while (id == 0);
        return id;
    }

    /// <summary>Failures where another broker may well succeed (RocketMQ retries these on another broker).</summary>
    private static bool IsRetryable(Exception exception) => exception is BrokerUnavailableException
        or TimeoutException
        or OperationCanceledException
        or SiloUnavailableException
        or OrleansMessageRejectionException
        or ConnectionFailedException;

    private async Task RefreshThenRetryAsync(List<PendingSend> batch, MessageQueue queue, MqSendException error)
    {
        try
        {
            await _routes.RefreshAsync(queue.Topic);
        }
        catch (Exception e)
        {
            LogBatchFailed(queue.ToString(), batch.Count, e.GetType().Name, e.Message);
        }

        foreach (var send in batch)
        {
            Retry(send, avoidBroker: null, error);
        }
    }

    private void Retry(PendingSend send, string? avoidBroker, Exception error)
    {
        send.LastError = error;
        if (send.Oneway || send.Attempt >= Options.RetryTimes)
        {
            Fail(send, error);
            return;
        }

        send.Attempt++;
        send.AvoidBroker = avoidBroker;
        if (Options.RetryBackoff > TimeSpan.Zero)
        {
            _ = RetryAfterBackoffAsync(send);
            return;
        }

        DispatchAgain(send);
    }

    private async Task RetryAfterBackoffAsync(PendingSend send)
    {
        try
        {
            await Task.Delay(Options.RetryBackoff, _time);
            DispatchAgain(send);
        }
        catch (Exception e)
        {
            Fail(send, e);
        }
    }

    private void DispatchAgain(PendingSend send)
    {
        var route = _routes.TryGet(send.Topic);
        if (route is null)
        {
            Fail(send, new TopicNotFoundException(send.Topic));
            return;
        }

        Dispatch(send, route);
    }

    /// <summary>A stored callback or one-way send (awaited sends are completed by <see cref="CompleteDeferred"/>).</summary>
    private void Complete(PendingSend send, SendResult result)
    {
        Finish(send);
        if (send.Callback is not null)
        {
            InvokeCallback(send.Callback, result, null);
        }
    }

    private void Fail(PendingSend send, Exception error)
    {
        Finish(send);
        if (send.Completion is not null)
        {
            // Rare; from its own item, so the awaiting caller never resumes inside the send loop or the caller's Dispatch.
            ThreadPool.UnsafeQueueUserWorkItem(static f => f.Completion.TrySetException(f.Error), (send.Completion, Error: error), preferLocal: false);
        }
        else if (send.Callback is not null)
        {
            InvokeCallback(send.Callback, null, error);
        }
        else
        {
            LogOnewayFailed(send.Topic, error.Message);
        }
    }

    private void Finish(PendingSend send)
    {
        _limiter.Release(send.Size);
        if (Interlocked.Decrement(ref _outstanding) == 0 && _disposing)
        {
            _drained.TrySetResult();
        }
    }

    private void InvokeCallback(SendCallback callback, SendResult? result, Exception? error)
    {
        try
        {
            callback(result, error);
        }
        catch (Exception e)
        {
            LogCallbackThrew(e);
        }
    }

    /// <summary>Waits for every accepted message to complete (bounded by the send timeout of all attempts), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposing)
        {
            return;
        }

        _disposing = true;
        if (Volatile.Read(ref _outstanding) == 0)
        {
            return;
        }

        var bound = (Options.SendTimeout + Options.RetryBackoff) * (Options.RetryTimes + 1) + TimeSpan.FromSeconds(1);
        try
        {
            await _drained.Task.WaitAsync(bound);
        }
        catch (TimeoutException)
        {
            LogDrainTimedOut(Volatile.Read(ref _outstanding), bound);
        }
    }

    [LoggerMessage(1, LogLevel.Debug, "Batch of {Count} messages to {Queue} failed: {Error}: {Message}")]
    private partial void LogBatchFailed(string queue, int count, string error, string message);

    [LoggerMessage(2, LogLevel.Debug, "One-way message to {Topic} was not stored: {Reason}")]
    private partial void LogOnewayFailed(string topic, string reason);

    [LoggerMessage(3, LogLevel.Error, "A send callback threw")]
    private partial void LogCallbackThrew(Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "Producer stopped with {Count} messages still unacknowledged after {Bound}")]
    private partial void LogDrainTimedOut(int count, TimeSpan bound);

    [LoggerMessage(5, LogLevel.Debug, "Batch of {Count} messages to {Queue} may have been stored ({Error}: {Message}); sending it again to the same queue")]
    private partial void LogBatchSentAgain(string queue, int count, string error, string message);
}
