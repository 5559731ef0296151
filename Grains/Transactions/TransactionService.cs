using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansMq.Grains.Brokers;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Hosting;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Naming;
using OrleansMq.Grains.Queues;
using OrleansMq.Grains.Routing;
using OrleansMq.Grains.Scheduling;
using OrleansMq.Storage;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Transactions;

/// <summary>
/// The broker's transactional messages (RocketMQ's TransactionalMessageService). A half message is stored durably in
/// the broker-local topic <see cref="SystemTopics.TransactionHalf"/> (queue 0) with its real topic and queue in its
/// properties, so consumers never see it. A commit appends it to its real queue and then writes a <c>commit</c> op
/// marker to <see cref="SystemTopics.TransactionOp"/>; a rollback writes a <c>rollback</c> marker. A half message
/// still pending <see cref="TransactionOptions.TransactionTimeout"/> after its prepare is checked back with a live
/// producer of its group, then every <see cref="TransactionOptions.CheckInterval"/>; each unanswered check writes a
/// <c>check</c> marker, and after <see cref="TransactionOptions.MaxChecks"/> of them the message is discarded with a
/// <c>discard</c> marker and a warning. At start the pending set is rebuilt from the half queue minus the markers.
/// </summary>
/// <remarks>
/// Concurrency: a commit or rollback first claims the half message under the lock, so a producer's end and a
/// check-back's answer never both apply; a second end waits for the first and reports what it did. Recovery reads
/// only the live part of the log: every op marker records the lowest half queue offset not yet finished. Memory:
/// about 200 bytes per pending half message plus up to 65,536 remembered outcomes. Time comes from the
/// <see cref="SchedulingClock"/>, so tests drive check-backs. Thread-safe.
/// </remarks>
internal sealed partial class TransactionService(
    BrokerStore brokerStore,
    IGrainFactory grainFactory,
    IOptions<TransactionOptions> options,
    SchedulingClock clock,
    ILogger<TransactionService> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private const int HalfQueue = 0;
    private const int OpQueue = 0;
    private const int MaxRememberedOutcomes = 65_536;

    private readonly Lock _gate = new();
    private readonly Dictionary<long, PendingHalf> _pending = [];
    private readonly SortedSet<long> _unfinished = [];
    private readonly List<long> _preparing = [];
    private readonly PriorityQueue<long, long> _due = new();
    private readonly Dictionary<long, Task<EndTransactionResult>> _ending = [];
    private readonly Dictionary<long, EndTransactionStatus> _finished = [];
    private readonly Queue<long> _finishedOrder = new();

    /// <summary>Half messages waiting for their outcome (claimed ones included until they are finished).</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _unfinished.Count;
            }
        }
    }

    private TransactionOptions Settings => options.Value;

    private MessageStore Store => brokerStore.Store;

    private string Broker => brokerStore.BrokerName;

    private TimeProvider Time => clock.Time;

    private long Now => Time.GetUtcNow().ToUnixTimeMilliseconds();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(TransactionService), ServiceLifecycleStage.ApplicationServices + 1, StartAsync, StopAsync);

    /// <summary>Stores a half message for a queue of this broker; the result's log offset is the transaction's position.</summary>
    public async Task<AppendResponse> PrepareAsync(PrepareRequest request, CancellationToken cancellationToken)
    {
        ThrowIfInvalidIdentity(request.ProducerGroup, request.ProducerId);
        var store = brokerStore.TryGetStore();
        if (store is null)
        {
            return Refuse(SendStatus.ServiceUnavailable, 0, $"Broker '{Broker}' is starting or stopping.");
        }

        if (await CheckRouteAsync(request.Topic, request.QueueId) is { } refusal)
        {
            return Refuse(refusal.Status, store.StoreId, refusal.Error);
        }

        var now = Now;
        var (batch, problem) = BuildHalf(request, now);
        if (batch is null)
        {
            return Refuse(SendStatus.MessageIllegal, store.StoreId, problem);
        }

        // Until it is pending, a half message being appended holds back the recovery start point of op markers
        // written meanwhile (its queue offset will be at least the queue's current end).
        long lowerBound;
        lock (_gate)
        {
            lowerBound = store.GetQueueRange(SystemTopics.TransactionHalf, HalfQueue).Max;
            _preparing.Add(lowerBound);
        }

        AppendResult stored;
        try
        {
            stored = await store.AppendAsync(SystemTopics.TransactionHalf, HalfQueue, batch.Value, cancellationToken);
        }
        catch
        {
            lock (_gate)
            {
                _preparing.Remove(lowerBound);
            }

            throw;
        }

        var message = stored.Messages.Length == 1 ? stored.Messages[0] : new MessageAppendResult(stored.Status, -1, -1);
        var status = StatusMapping.ToSendStatus(message.Status);
        var ok = status is SendStatus.Ok or SendStatus.FlushDiskTimeout;
        var info = new HalfInfo(request.Topic, request.QueueId, request.ProducerGroup, request.ProducerId, now, UniqueKeyOf(batch.Value.Span));
        var half = new PendingHalf(message.LogOffset, message.QueueOffset, info, recovered: false)
        {
            NextCheckAt = now + (long)Settings.TransactionTimeout.TotalMilliseconds,
        };
        var wake = false;
        lock (_gate)
        {
            // In one step with leaving the preparing set, so no op marker is written in between without either.
            _preparing.Remove(lowerBound);
            if (ok)
            {
                wake = _due.Count == 0;
                _pending[half.LogOffset] = half;
                _unfinished.Add(half.QueueOffset);
                _due.Enqueue(half.LogOffset, half.NextCheckAt);
            }
        }

        if (!ok)
        {
            return new AppendResponse(status, store.StoreId, [new AppendedMessage(status, -1, -1)], StatusMapping.Describe(message.Status, Broker, store));
        }

        if (wake)
        {
            Wake();
        }

        LogPrepared(request.Topic, request.QueueId, message.LogOffset, request.ProducerGroup);
        return new AppendResponse(status, store.StoreId, [new AppendedMessage(status, message.LogOffset, -1)], StatusMapping.Describe(message.Status, Broker, store));
    }

    /// <summary>Commits or rolls back a half message for its producer or an operator.</summary>
    /// <exception cref="InvalidRequestException">The state is not Commit or Rollback, or the group name is malformed.</exception>
    public Task<EndTransactionResult> EndAsync(EndTransactionRequest request)
    {
        if (request.State is not (LocalTransactionState.Commit or LocalTransactionState.Rollback))
        {
            throw new InvalidRequestException(
                $"A transaction is ended with {LocalTransactionState.Commit} or {LocalTransactionState.Rollback}; {request.State} is not an outcome (the broker checks the transaction back instead).");
        }

        if (request.ProducerGroup is not null && NameValidator.ValidateGroup(request.ProducerGroup) is { } error)
        {
            throw new InvalidRequestException($"Producer group: {error}");
        }

        return EndAsync(request.TransactionLogOffset, request.State, request.ProducerGroup);
    }

    private async Task<EndTransactionResult> EndAsync(long logOffset, LocalTransactionState state, string? group)
    {
        var store = brokerStore.TryGetStore();
        if (store is null)
        {
            return new EndTransactionResult(EndTransactionStatus.StoreError, 0, Error: $"Broker '{Broker}' is starting or stopping; the transaction is still pending.");
        }

        Task<EndTransactionResult>? running;
        PendingHalf? half;
        EndTransactionStatus? remembered = null;
        lock (_gate)
        {
            if (_ending.TryGetValue(logOffset, out running))
            {
                half = null;
            }
            else if (_pending.TryGetValue(logOffset, out half))
            {
                if (group is not null && !string.Equals(group, half.Info.Group, StringComparison.Ordinal))
                {
                    return new EndTransactionResult(EndTransactionStatus.GroupMismatch, store.StoreId, Error:
                        $"Transaction {new MessageId(store.StoreId, logOffset)} was prepared by producer group '{half.Info.Group}'; producer group '{group}' cannot end it.");
                }
            }
            else if (_finished.TryGetValue(logOffset, out var outcome))
            {
                remembered = outcome;
            }
        }

        if (running is not null)
        {
            var first = await running;
            return first.Status == EndTransactionStatus.StoreError ? await EndAsync(logOffset, state, group) : AsAlready(first);
        }

        if (half is null)
        {
            return Finished(store, logOffset, remembered);
        }

        return await RunEndAsync(store, half, state == LocalTransactionState.Commit ? CommitAsync : RollbackAsync) ?? await EndAsync(logOffset, state, group);
    }

    /// <summary>
    /// Claims a pending half message and runs <paramref name="action"/> on it; null when someone else claimed it first.
    /// A store error puts it back as pending; any other outcome is remembered.
    /// </summary>
    private async Task<EndTransactionResult?> RunEndAsync(MessageStore store, PendingHalf half, Func<MessageStore, PendingHalf, Task<EndTransactionResult>> action)
    {
        var mine = new TaskCompletionSource<EndTransactionResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (!_pending.Remove(half.LogOffset) || _ending.ContainsKey(half.LogOffset))
            {
                return null;
            }

            _ending[half.LogOffset] = mine.Task;
        }

        EndTransactionResult result;
        try
        {
            result = await action(store, half);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogEndFailed(half.LogOffset, e);
            result = new EndTransactionResult(EndTransactionStatus.StoreError, store.StoreId, Error: $"Broker '{Broker}' could not end the transaction: {e.Message}; it is still pending.");
        }

        lock (_gate)
        {
            _ending.Remove(half.LogOffset);
            if (result.Status == EndTransactionStatus.StoreError)
            {
                _pending[half.LogOffset] = half;
                if (!half.Checking)
                {
                    _due.Enqueue(half.LogOffset, half.NextCheckAt);
                }
            }
            else
            {
                _unfinished.Remove(half.QueueOffset);
                Remember(half.LogOffset, result.Status);
            }
        }

        mine.SetResult(result);
        return result;
    }

    private async Task<EndTransactionResult> CommitAsync(MessageStore store, PendingHalf half)
    {
        if (!store.TryReadMessage(half.LogOffset, out var record) || record.Topic != SystemTopics.TransactionHalf)
        {
            return await DiscardLostAsync(store, half, "its half message is no longer in the log (deleted by retention)");
        }

        long storeId, logOffset, queueOffset;
        if (half.Recovered && FindCommittedCopy(store, half, record) is { } copy)
        {
            // A commit appended it just before the broker stopped, but its marker was not written.
            (storeId, logOffset, queueOffset) = (store.StoreId, copy.LogOffset, copy.QueueOffset);
        }
        else
        {
            var properties = TransactionRecords.ForDelivery(record.Properties.Span);
            var batch = new ArrayBufferWriter<byte>(record.Body.Length + properties.Length + 64);
            var flags = (record.Flags & ~(MessageFlags.TransactionPrepared | MessageFlags.Scheduled)) | MessageFlags.TransactionCommit;
            MessageBatchWriter.Write(batch, record.BornTimestamp, flags, properties, record.Body.Span);
            var response = await AppendToQueueAsync(half.Info.Topic, half.Info.QueueId, batch.WrittenMemory);
            if (response is null)
            {
                return await DiscardLostAsync(store, half, $"its topic '{half.Info.Topic}' no longer exists");
            }

            if (response.Status is not (SendStatus.Ok or SendStatus.FlushDiskTimeout) || response.Messages.Length != 1)
            {
                return new EndTransactionResult(EndTransactionStatus.StoreError, store.StoreId, Error:
                    $"Appending the committed message to {half.Info.Topic}/{half.Info.QueueId} failed ({response.Status}): {response.Error} The transaction is still pending.");
            }

            (storeId, logOffset, queueOffset) = (response.StoreId, response.Messages[0].LogOffset, response.Messages[0].QueueOffset);
        }

        await WriteOpAsync(store, TransactionRecords.Commit, [half]);
        LogCommitted(half.Info.Topic, half.LogOffset, logOffset);
        return new EndTransactionResult(EndTransactionStatus.Committed, storeId, logOffset, queueOffset);
    }

    private async Task<EndTransactionResult> RollbackAsync(MessageStore store, PendingHalf half)
    {
        if (!await WriteOpAsync(store, TransactionRecords.Rollback, [half]))
        {
            return new EndTransactionResult(EndTransactionStatus.StoreError, store.StoreId, Error: $"Broker '{Broker}' could not write the rollback marker; the transaction is still pending.");
        }

        LogRolledBack(half.Info.Topic, half.LogOffset);
        return new EndTransactionResult(EndTransactionStatus.RolledBack, store.StoreId);
    }

    private async Task<EndTransactionResult> DiscardAsync(MessageStore store, PendingHalf half)
    {
        if (!await WriteOpAsync(store, TransactionRecords.Discard, [half]))
        {
            return new EndTransactionResult(EndTransactionStatus.StoreError, store.StoreId, Error: $"Broker '{Broker}' could not write the discard marker.");
        }

        LogDiscarded(new MessageId(store.StoreId, half.LogOffset).ToString(), half.Info.Topic, half.Info.UniqueKey ?? "", half.Info.Group, half.Checks);
        return new EndTransactionResult(EndTransactionStatus.AlreadyDiscarded, store.StoreId, Error:
            $"Transaction {new MessageId(store.StoreId, half.LogOffset)} was discarded after {half.Checks} check-backs without an answer.");
    }

    private async Task<EndTransactionResult> DiscardLostAsync(MessageStore store, PendingHalf half, string why)
    {
        await WriteOpAsync(store, TransactionRecords.Discard, [half]);
        LogLost(half.LogOffset, half.Info.Topic, why);
        return new EndTransactionResult(EndTransactionStatus.NotFound, store.StoreId, Error: $"Transaction {new MessageId(store.StoreId, half.LogOffset)} cannot be committed: {why}. It was discarded.");
    }

    /// <summary>Appends a committed message to its queue through the queue grain (which checks the route); another queue of the topic if the queue moved.</summary>
    private async Task<AppendResponse?> AppendToQueueAsync(string topic, int queueId, ReadOnlyMemory<byte> batch)
    {
        var request = new AppendRequest(batch, 1);
        var response = await grainFactory.GetGrain<IMessageQueueGrain>(new QueueKey(Broker, topic, queueId).ToString()).AppendAsync(request);
        if (response.Status is not (SendStatus.QueueNotOwned or SendStatus.TopicNotFound))
        {
            return response;
        }

        var route = await grainFactory.GetGrain<ITopicRouteGrain>(topic).GetRouteAsync();
        if (route is null || route.Queues.Length == 0)
        {
            return null;
        }

        var queue = Array.Find(route.Queues, q => q.Broker == Broker) ?? route.Queues[queueId % route.Queues.Length];
        return await grainFactory.GetGrain<IMessageQueueGrain>(new QueueKey(queue.Broker, topic, queue.QueueId).ToString()).AppendAsync(request);
    }

    private static StoredMessage? FindCommittedCopy(MessageStore store, PendingHalf half, StoredMessage record)
    {
        if (half.Info.UniqueKey is not { Length: > 0 } uniqueKey)
        {
            return null;
        }

        foreach (var copy in store.QueryByUniqueKey(half.Info.Topic, uniqueKey))
        {
            if ((copy.Flags & MessageFlags.TransactionCommit) != 0 && copy.LogOffset > record.LogOffset)
            {
                return copy;
            }
        }

        return null;
    }

    /// <summary>Writes an op marker; false when the store refused it.</summary>
    private async Task<bool> WriteOpAsync(MessageStore store, string kind, IReadOnlyList<PendingHalf> halves)
    {
        long recoverFrom;
        var offsets = new long[halves.Count];
        lock (_gate)
        {
            recoverFrom = store.GetQueueRange(SystemTopics.TransactionHalf, HalfQueue).Max;
            if (_unfinished.Count > 0)
            {
                recoverFrom = Math.Min(recoverFrom, _unfinished.Min);
            }

            foreach (var bound in _preparing)
            {
                recoverFrom = Math.Min(recoverFrom, bound);
            }

            for (var i = 0; i < offsets.Length; i++)
            {
                offsets[i] = halves[i].LogOffset;
                recoverFrom = Math.Min(recoverFrom, halves[i].QueueOffset);
            }
        }

        var batch = new ArrayBufferWriter<byte>(16 + (offsets.Length * 8) + 64);
        TransactionRecords.WriteOp(batch, kind, recoverFrom, offsets, Now);
        var stored = await store.AppendAsync(SystemTopics.TransactionOp, OpQueue, batch.WrittenMemory);
        if (stored.Status is AppendStatus.Ok or AppendStatus.FlushTimeout)
        {
            return true;
        }

        // A lost commit marker means a check-back after a restart finds the committed copy; a lost check marker
        // only makes the count of checks restart lower.
        LogOpFailed(kind, offsets.Length, stored.Status);
        return false;
    }

    private EndTransactionResult Finished(MessageStore store, long logOffset, EndTransactionStatus? remembered)
    {
        var id = new MessageId(store.StoreId, logOffset);
        if (remembered is { } outcome)
        {
            var status = AsAlready(outcome);
            return new EndTransactionResult(status, store.StoreId, Error: $"Transaction {id} was already finished ({status}).");
        }

        return store.TryReadMessage(logOffset, out var record) && record.Topic == SystemTopics.TransactionHalf
            ? new EndTransactionResult(EndTransactionStatus.AlreadyFinished, store.StoreId, Error: $"Transaction {id} was already finished; broker '{Broker}' no longer remembers whether it was committed or rolled back.")
            : new EndTransactionResult(EndTransactionStatus.NotFound, store.StoreId, Error: $"Broker '{Broker}' has no half message at log offset {logOffset} (transaction id {id}): a wrong id, or a message deleted by retention.");
    }

    private static EndTransactionResult AsAlready(EndTransactionResult first) => first with { Status = AsAlready(first.Status) };

    private static EndTransactionStatus AsAlready(EndTransactionStatus status) => status switch
    {
        EndTransactionStatus.Committed => EndTransactionStatus.AlreadyCommitted,
        EndTransactionStatus.RolledBack => EndTransactionStatus.AlreadyRolledBack,
        EndTransactionStatus.NotFound => EndTransactionStatus.AlreadyDiscarded,
        _ => status,
    };

    private void Remember(long logOffset, EndTransactionStatus status)
    {
        if (_finished.TryAdd(logOffset, status))
        {
            _finishedOrder.Enqueue(logOffset);
            if (_finishedOrder.Count > MaxRememberedOutcomes)
            {
                _finished.Remove(_finishedOrder.Dequeue());
            }
        }
    }

    private async Task<(SendStatus Status, string Error)?> CheckRouteAsync(string topic, int queueId)
    {
        if (NameValidator.ValidateTopic(topic) is { } error)
        {
            return (SendStatus.MessageIllegal, error);
        }

        var route = await grainFactory.GetGrain<ITopicRouteGrain>(topic).GetRouteAsync();
        if (route is null)
        {
            return (SendStatus.TopicNotFound, $"Topic '{topic}' does not exist.");
        }

        if ((uint)queueId >= (uint)route.Queues.Length || !string.Equals(route.Queues[queueId].Broker, Broker, StringComparison.Ordinal))
        {
            return (SendStatus.QueueNotOwned, $"Queue {queueId} of topic '{topic}' is not owned by broker '{Broker}' in route version {route.Version}.");
        }

        return (route.Permission & TopicPermission.Write) == 0
            ? (SendStatus.NoPermission, $"Topic '{topic}' does not allow writes (permission {route.Permission}).")
            : null;
    }

    /// <summary>The half record's batch: the one entry, with the transaction bookkeeping added; or what is wrong.</summary>
    private static (ReadOnlyMemory<byte>? Batch, string Problem) BuildHalf(PrepareRequest request, long now)
    {
        try
        {
            var reader = new MessageBatchReader(request.Batch.Span);
            if (!reader.TryRead(out var entry))
            {
                return (null, "The half message batch is empty; a transactional send carries exactly one message.");
            }

            if ((entry.Flags & MessageFlags.Scheduled) != 0)
            {
                return (null, "A transactional message cannot be a delay or timer message (RocketMQ refuses it too); send it without a delay.");
            }

            var properties = TransactionRecords.HalfProperties(entry.Properties, request.Topic, request.QueueId, request.ProducerGroup, request.ProducerId, now);
            var batch = new ArrayBufferWriter<byte>(request.Batch.Length + properties.Length);
            MessageBatchWriter.Write(batch, entry.BornTimestamp, entry.Flags | MessageFlags.TransactionPrepared, properties, entry.Body);
            if (reader.TryRead(out _))
            {
                return (null, "The half message batch holds more than one message; a transactional send carries exactly one.");
            }

            return (batch.WrittenMemory, "");
        }
        catch (FormatException e)
        {
            return (null, $"The half message is malformed: {e.Message}");
        }
    }

    private static string? UniqueKeyOf(ReadOnlySpan<byte> batch)
    {
        var reader = new MessageBatchReader(batch);
        return reader.TryRead(out var entry) ? MessageProperties.GetString(entry.Properties, PropertyNames.UniqueKey) : null;
    }

    private static void ThrowIfInvalidIdentity(string group, string producerId)
    {
        if (NameValidator.ValidateGroup(group) is { } error)
        {
            throw new InvalidRequestException($"Producer group: {error}");
        }

        if (string.IsNullOrEmpty(producerId) || producerId.Length > 255)
        {
            throw new InvalidRequestException($"Producer id '{producerId}' is empty or longer than 255 characters; it identifies the producer in its group.");
        }
    }

    private static AppendResponse Refuse(SendStatus status, long storeId, string error) => new(status, storeId, [], error);
}
