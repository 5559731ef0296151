using System.Buffers;
using Microsoft.Extensions.Logging;
using OrleansMq.Client.Messages;
using OrleansMq.Client.Producing;
using OrleansMq.Client.Routing;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Routing;
using OrleansMq.Grains.Transactions;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Client.Transactions;

/// <summary>
/// Sends transactional messages (RocketMQ TransactionMQProducer): <see cref="SendMessageInTransactionAsync"/> stores
/// a half message that consumers cannot see, runs the local transaction through the <see cref="ITransactionListener"/>,
/// then commits (the message becomes visible in its queue) or rolls back (it is discarded). When the outcome stays
/// unknown — the listener returned Unknown, or this process died — the broker checks back with a live producer of the
/// same producer group, which calls <see cref="ITransactionListener.CheckLocalTransactionAsync"/>.
/// </summary>
/// <remarks>
/// Thread-safe after <see cref="StartAsync"/>. Membership: the producer registers with its producer group and
/// heartbeats while it runs; <see cref="DisposeAsync"/> leaves the group. A half message is sent once per broker
/// attempt: a definite failure (broker down, queue moved) is retried on another broker, but an attempt whose outcome
/// is unknown fails the send without running the local transaction (a stored half message is then resolved by
/// check-back, whose answer should be Rollback for a transaction that never ran).
/// </remarks>
public sealed partial class TransactionProducer : IAsyncDisposable
{
    private readonly IClusterClient _client;
    private readonly RouteCache _routes;
    private readonly ITransactionListener _listener;
    private readonly ILogger _logger;
    private readonly BrokerFaultTracker _faults;
    private readonly IProducerGroupGrain _group;
    private readonly ProducerOptions _encoding;
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _time = TimeProvider.System;
    private TransactionCheckResponder? _responder;
    private ITransactionCheckObserver? _reference;
    private Task _heartbeats = Task.CompletedTask;
    private int _state;

    internal TransactionProducer(IClusterClient client, RouteCache routes, ProducerOptions options, ITransactionListener listener, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (listener is null)
        {
            throw new ArgumentNullException(nameof(listener),
                "A transaction producer needs an ITransactionListener: it runs the local transaction of every send and answers the brokers' check-backs.");
        }

        if (options.Validate() is { Count: > 0 } errors)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        var defaultGroup = new ProducerOptions().ProducerGroup;
        if (options.ProducerGroup == defaultGroup)
        {
            throw new ArgumentException(
                $"ProducerOptions.ProducerGroup is '{defaultGroup}', the default group; a transaction producer needs a group of its own, because brokers ask any live member of the group to check back its transactions.",
                nameof(options));
        }

        _client = client;
        _routes = routes;
        _listener = listener;
        _logger = logger;
        Options = options;
        _encoding = options with { EnableIdempotence = false };
        _faults = new BrokerFaultTracker(options.BrokerFaultBackoff, _time);
        _group = client.GetGrain<IProducerGroupGrain>(options.ProducerGroup);
        ProducerId = $"{Environment.MachineName}@{Environment.ProcessId}@{Guid.NewGuid():N}";
    }

    /// <summary>The producer's settings (<see cref="ProducerOptions.ProducerGroup"/>, timeouts, retries, limits).</summary>
    public ProducerOptions Options { get; }

    /// <summary>This producer's member id in its group; its half messages name it so check-backs ask it first while it lives.</summary>
    public string ProducerId { get; }

    /// <summary>Joins the producer group, so brokers can check back transactions with this producer.</summary>
    /// <exception cref="InvalidOperationException">Already started or disposed.</exception>
    /// <exception cref="InvalidRequestException">The group refused the registration.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException($"Transaction producer '{ProducerId}' is already started or disposed; start it once.");
        }

        _responder = new TransactionCheckResponder(this);
        _reference = _client.CreateObjectReference<ITransactionCheckObserver>(_responder);
        try
        {
            var membership = await _group.RegisterAsync(Registration()).WaitAsync(cancellationToken);
            _heartbeats = HeartbeatLoopAsync(membership.HeartbeatInterval);
            LogStarted(Options.ProducerGroup, ProducerId);
        }
        catch
        {
            _client.DeleteObjectReference<ITransactionCheckObserver>(_reference);
            _reference = null;
            Volatile.Write(ref _state, 0);
            throw;
        }
    }

    /// <summary>
    /// Sends <paramref name="message"/> as a transactional message: stores it as a half message, runs
    /// <see cref="ITransactionListener.ExecuteLocalTransactionAsync"/> with <paramref name="arg"/>, then commits or
    /// rolls it back according to the local state. Unknown leaves it to check-backs.
    /// </summary>
    /// <exception cref="InvalidOperationException">The producer is not started.</exception>
    /// <exception cref="ArgumentException">The message is invalid or asks for a delay (transactional messages cannot be delayed).</exception>
    /// <exception cref="MqSendException">The half message could not be stored; the local transaction did not run.</exception>
    /// <exception cref="TopicNotFoundException">The topic does not exist and auto-create is off.</exception>
    public async Task<TransactionSendResult> SendMessageInTransactionAsync(Message message, object? arg = null, CancellationToken cancellationToken = default)
    {
        ThrowIfNotStarted();
        ArgumentNullException.ThrowIfNull(message);
        if (message.DelayLevel != 0 || message.DeliverAt is not null)
        {
            throw new ArgumentException(
                $"A transactional message cannot be a delay or timer message (DelayLevel {message.DelayLevel}, DeliverAt {message.DeliverAt?.ToString("O") ?? "none"}); RocketMQ refuses it too. Send it without a delay.",
                nameof(message));
        }

        var uniqueKey = UniqueKeyGenerator.Next();
        var properties = MessageEncoder.Encode(message, _encoding, uniqueKey);
        var route = await _routes.GetForSendAsync(message.Topic);
        var born = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var batch = new ArrayBufferWriter<byte>(properties.Length + message.Body.Length + MessageBatchWriter.EntryHeaderSize);
        MessageBatchWriter.Write(batch, born, MessageFlags.None, properties, message.Body.Span);

        var (queue, storeId, logOffset) = await PrepareAsync(message, route, batch.WrittenMemory, cancellationToken);
        var half = new ReceivedMessage(message.Topic, queue.Broker, queue.QueueId, -1, storeId, logOffset, born, 0, MessageFlags.TransactionPrepared, properties, message.Body);
        var state = await ExecuteLocalAsync(half, arg);
        if (state == LocalTransactionState.Unknown)
        {
            return new TransactionSendResult(state, EndTransactionStatus.Invalid, half.MessageId, uniqueKey.ToString(), queue, null, -1);
        }

        var end = await EndAsync(queue.Broker, logOffset, state, half.MessageId);
        var committed = end is { Status: EndTransactionStatus.Committed or EndTransactionStatus.AlreadyCommitted, LogOffset: >= 0 }
            ? new MessageId(end.StoreId, end.LogOffset).ToString()
            : null;
        return new TransactionSendResult(state, end?.Status ?? EndTransactionStatus.Invalid, half.MessageId, uniqueKey.ToString(), queue, committed, committed is null ? -1 : end!.QueueOffset);
    }

    /// <summary>Leaves the producer group and stops heartbeats. Pending transactions are checked back with the group's other producers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

        await StopHeartbeatsAsync();
        try
        {
            await _group.UnregisterAsync(ProducerId);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogLeaveFailed(Options.ProducerGroup, ProducerId, e);
        }

        DeleteReference();
    }

    /// <summary>Stops at once without leaving the group, as a killed process would (tests of check-back failover).</summary>
    internal async Task AbandonAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

        await StopHeartbeatsAsync();
        DeleteReference();
    }

    /// <summary>Answers one check-back with the listener; an exception or an undefined value counts as Unknown.</summary>
    internal async Task<LocalTransactionState> CheckLocalAsync(TransactionCheck check)
    {
        var message = ReceivedMessage.FromData(check.Message);
        try
        {
            var state = await _listener.CheckLocalTransactionAsync(message);
            LogChecked(message.MessageId, check.CheckNumber, state);
            return Defined(state);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogListenerThrew("CheckLocalTransactionAsync", message.MessageId, e);
            return LocalTransactionState.Unknown;
        }
    }

    private async Task<LocalTransactionState> ExecuteLocalAsync(ReceivedMessage half, object? arg)
    {
        try
        {
            return Defined(await _listener.ExecuteLocalTransactionAsync(half, arg));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogListenerThrew("ExecuteLocalTransactionAsync", half.MessageId, e);
            return LocalTransactionState.Unknown;
        }
    }

    private static LocalTransactionState Defined(LocalTransactionState state) =>
        state is LocalTransactionState.Commit or LocalTransactionState.Rollback ? state : LocalTransactionState.Unknown;

    /// <summary>Stores the half message on the broker of a chosen queue; a definite failure moves to another broker.</summary>
    private async Task<(MessageQueue Queue, long StoreId, long LogOffset)> PrepareAsync(Message message, TopicRoute route, ReadOnlyMemory<byte> batch, CancellationToken cancellationToken)
    {
        string? avoid = null;
        Exception? last = null;
        for (var attempt = 0; attempt <= Options.RetryTimes; attempt++)
        {
            if (!route.IsWritable)
            {
                throw new MqSendException(SendStatus.NoPermission, $"Topic '{message.Topic}' does not allow writes (permission {route.Permission}).");
            }

            if (route.Queues.Length == 0)
            {
                throw new MqSendException(SendStatus.TopicNotFound, $"Topic '{message.Topic}' has no queues.");
            }

            var chosen = message.ShardingKey is null ? _faults.SelectQueue(route, avoid) : route.Queues[Producer.QueueForShardingKey(message.ShardingKey, route)];
            var queue = new MessageQueue(message.Topic, chosen.Broker, chosen.QueueId);
            AppendResponse response;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(Options.SendTimeout);
                try
                {
                    response = await _client.GetGrain<ITransactionCoordinatorGrain>(queue.Broker)
                        .PrepareAsync(new PrepareRequest(message.Topic, queue.QueueId, batch, Options.ProducerGroup, ProducerId), timeout.Token);
                }
                catch (Exception e) when (e is BrokerUnavailableException or OrleansMessageRejectionException)
                {
                    // Not processed: safe to try another broker.
                    _faults.MarkFailed(queue.Broker);
                    avoid = queue.Broker;
                    last = e;
                    continue;
                }
                catch (Exception e) when (Producer.IsAmbiguous(e) && !cancellationToken.IsCancellationRequested)
                {
                    _faults.MarkFailed(queue.Broker);
                    throw new MqSendException(SendStatus.Invalid,
                        $"Storing the half message on {queue} failed ({e.GetType().Name}: {e.Message}); the local transaction was not run. If the broker stored it, "
                        + $"it checks it back with producer group '{Options.ProducerGroup}' after its transaction timeout.", e);
                }
            }

            if (response.Status is SendStatus.Ok or SendStatus.FlushDiskTimeout && response.Messages.Length == 1)
            {
                _faults.MarkHealthy(queue.Broker);
                return (queue, response.StoreId, response.Messages[0].LogOffset);
            }

            var error = new MqSendException(response.Status, $"Broker '{queue.Broker}' refused the half message for {queue}: {response.Status}. {response.Error}");
            switch (response.Status)
            {
                case SendStatus.QueueNotOwned or SendStatus.TopicNotFound:
                    route = await _routes.RefreshAsync(message.Topic) ?? throw new TopicNotFoundException(message.Topic);
                    last = error;
                    continue;
                case SendStatus.ServiceUnavailable or SendStatus.DiskFull or SendStatus.StoreError:
                    _faults.MarkFailed(queue.Broker);
                    avoid = queue.Broker;
                    last = error;
                    continue;
                default:
                    throw error;
            }
        }

        throw last as MqSendException
            ?? new MqSendException(SendStatus.Invalid, $"Storing the half message for topic '{message.Topic}' failed after {Options.RetryTimes + 1} attempts: {last?.Message}", last);
    }

    /// <summary>Sends the commit or rollback; ending is idempotent on the broker, so a failed attempt is simply repeated.</summary>
    private async Task<EndTransactionResult?> EndAsync(string broker, long logOffset, LocalTransactionState state, string transactionId)
    {
        var coordinator = _client.GetGrain<ITransactionCoordinatorGrain>(broker);
        for (var attempt = 0; attempt <= Options.RetryTimes; attempt++)
        {
            try
            {
                var result = await coordinator.EndTransactionAsync(new EndTransactionRequest(logOffset, state, Options.ProducerGroup)).WaitAsync(Options.SendTimeout);
                if (result.Status != EndTransactionStatus.StoreError)
                {
                    return result;
                }

                LogEndFailed(transactionId, state, result.Error ?? "store error");
            }
            catch (Exception e) when (e is not (InvalidRequestException or OutOfMemoryException))
            {
                LogEndFailed(transactionId, state, $"{e.GetType().Name}: {e.Message}");
            }
        }

        LogEndNotDelivered(transactionId, state, Options.ProducerGroup);
        return null;
    }


    private ProducerRegistration Registration() =>
        new(ProducerId, $"{Environment.MachineName}@{Environment.ProcessId}", _reference ?? throw new InvalidOperationException("The producer is not started."));

    private async Task HeartbeatLoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    if (!await _group.HeartbeatAsync(ProducerId))
                    {
                        // The group grain moved or restarted and forgot its members: join again.
                        await _group.RegisterAsync(Registration());
                        LogRegisteredAgain(Options.ProducerGroup, ProducerId);
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException && !_stop.IsCancellationRequested)
                {
                    LogHeartbeatFailed(Options.ProducerGroup, e.GetType().Name, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task StopHeartbeatsAsync()
    {
        await _stop.CancelAsync();
        await _heartbeats;
    }

    private void DeleteReference()
    {
        if (_reference is not null)
        {
            _client.DeleteObjectReference<ITransactionCheckObserver>(_reference);
            _reference = null;
        }

        _responder = null;
    }

    private void ThrowIfNotStarted()
    {
        switch (Volatile.Read(ref _state))
        {
            case 0:
                throw new InvalidOperationException($"Transaction producer of group '{Options.ProducerGroup}' is not started; call StartAsync before sending.");
            case 2:
                throw new ObjectDisposedException(nameof(TransactionProducer), $"Transaction producer of group '{Options.ProducerGroup}' is disposed.");
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Transaction producer {ProducerId} joined producer group {Group}")]
    private partial void LogStarted(string group, string producerId);

    [LoggerMessage(2, LogLevel.Warning, "Leaving producer group {Group} as {ProducerId} failed")]
    private partial void LogLeaveFailed(string group, string producerId, Exception exception);

    [LoggerMessage(3, LogLevel.Debug, "Check-back {CheckNumber} of transaction {TransactionId} answered {State}")]
    private partial void LogChecked(string transactionId, int checkNumber, LocalTransactionState state);

    [LoggerMessage(4, LogLevel.Error, "The transaction listener's {Method} threw for transaction {TransactionId}; counted as Unknown")]
    private partial void LogListenerThrew(string method, string transactionId, Exception exception);

    [LoggerMessage(5, LogLevel.Debug, "Ending transaction {TransactionId} with {State} failed: {Error}")]
    private partial void LogEndFailed(string transactionId, LocalTransactionState state, string error);

    [LoggerMessage(6, LogLevel.Warning, "Could not deliver {State} of transaction {TransactionId}; the broker will check it back with producer group {Group}")]
    private partial void LogEndNotDelivered(string transactionId, LocalTransactionState state, string group);

    [LoggerMessage(7, LogLevel.Information, "Producer group {Group} had forgotten producer {ProducerId}; registered again")]
    private partial void LogRegisteredAgain(string group, string producerId);

    [LoggerMessage(8, LogLevel.Warning, "Heartbeat to producer group {Group} failed ({Error}: {Message})")]
    private partial void LogHeartbeatFailed(string group, string error, string message);
}
