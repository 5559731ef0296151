using Microsoft.Extensions.Logging;
using OrleansMq.Grains.Messages;
using OrleansMq.Storage;

namespace OrleansMq.Grains.Queues;

/// <summary>
/// The idempotent producer's broker side: a batch that carries a producer id is stored at most once per queue.
/// A producer's batch is accepted when its first sequence follows the last accepted one, and is then queued to the
/// store at once, so the producer may have several batches in flight (Kafka's idempotent producer with up to five
/// requests in flight per partition): the store writes appends in the order they are made, so accepted batches are
/// stored in sequence order. A batch sent again (a lost acknowledgement) is answered with the original's result,
/// waiting for it when it is still being stored. Producer state is rebuilt from the newest records of the queue the
/// first time an idempotent batch arrives after activation.
/// </summary>
internal sealed partial class MessageQueueGrain
{
    private ProducerStateTable? _producers;
    private Task? _producersLoaded;

    private async Task<AppendResponse> AppendIdempotentAsync(MessageStore store, AppendRequest request, CancellationToken cancellationToken)
    {
        if (request.BaseSequence < 0 || request.Count < 1)
        {
            return Refuse(SendStatus.MessageIllegal, store.StoreId,
                $"Idempotent batch from producer {request.ProducerId:X16} has base sequence {request.BaseSequence} and {request.Count} messages; sequences start at 0 and a batch has at least one message.");
        }

        await (_producersLoaded ??= LoadProducersAsync(store));
        var state = _producers!.GetOrAdd(request.ProducerId);
        var decision = await ClassifyAsync(state, request, cancellationToken);
        var last = request.BaseSequence + request.Count - 1;
        switch (decision)
        {
            case SequenceDecision.Duplicate:
                if (state.FindDuplicate(request.BaseSequence, request.Count, store.StoreId) is { } original)
                {
                    LogDuplicate(_key.Topic, _key.QueueId, request.ProducerId, request.BaseSequence, last);
                    if (original.Result is { } result)
                    {
                        return await result;
                    }

                    var first = original.FirstQueueOffset;
                    if (await Task.Run(() => ProducerStateTable.ReadStored(store, _key.Topic, _key.QueueId, request.ProducerId, request.BaseSequence, request.Count, first)) is { } messages)
                    {
                        return new AppendResponse(SendStatus.Ok, store.StoreId, messages);
                    }
                }

                return Refuse(SendStatus.DuplicateSequence, store.StoreId,
                    $"Queue {_key.Topic}/{_key.QueueId} already accepted sequences {request.BaseSequence}..{last} of producer {request.ProducerId:X16} "
                    + $"(its last accepted sequence is {state.LastSequence}) but no longer remembers their message ids; nothing was stored again.");
            case SequenceDecision.OutOfOrder:
                LogOutOfOrder(_key.Topic, _key.QueueId, request.ProducerId, request.BaseSequence, state.LastSequence);
                return Refuse(SendStatus.OutOfOrderSequence, store.StoreId,
                    $"Queue {_key.Topic}/{_key.QueueId} expected sequence {state.LastSequence + 1} from producer {request.ProducerId:X16} "
                    + $"(the next after its last accepted sequence {state.LastSequence}) but the batch has sequences {request.BaseSequence}..{last}; "
                    + "a batch was lost or sent out of order, so nothing was stored.");
        }

        // Queued to the store before this call first yields (the timer service, too, queues a batch's messages that are
        // due now before it yields): the producer's next batch is accepted behind it.
        var append = AppendCoreAsync(store, request, cancellationToken);
        state.Accept(request.BaseSequence, request.Count, append);
        var response = await append;
        state.Stored(append, response);
        return response;
    }

    /// <summary>
    /// Classifies a batch, waiting up to <see cref="Hosting.IdempotenceOptions.GapWait"/> for earlier batches when it
    /// arrived ahead of them.
    /// </summary>
    private async ValueTask<SequenceDecision> ClassifyAsync(ProducerState state, AppendRequest request, CancellationToken cancellationToken)
    {
        long deadline = 0;
        while (true)
        {
            var decision = state.Classify(request.BaseSequence, request.Count, request.Resync);
            if (decision != SequenceDecision.Gap)
            {
                return decision;
            }

            if (deadline == 0)
            {
                deadline = timeProvider.GetTimestamp() + (long)(idempotence.Value.GapWait.TotalSeconds * timeProvider.TimestampFrequency);
            }

            var left = timeProvider.GetElapsedTime(timeProvider.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
            {
                // The earlier batches did not come: a known producer lost one (refuse, it retries); an unknown one was forgotten.
                return state.LastSequence < 0 ? SequenceDecision.New : SequenceDecision.OutOfOrder;
            }

            state.Waiting++;
            try
            {
                // Ends when a batch is accepted, at the deadline or on cancellation (its timer goes with it).
                await state.Advanced.WaitAsync(left, timeProvider, cancellationToken)
                    .ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.SuppressThrowing);
            }
            finally
            {
                state.Waiting--;
            }
        }
    }

    private async Task LoadProducersAsync(MessageStore store)
    {
        var settings = idempotence.Value;
        var table = new ProducerStateTable(settings.MaxProducersPerQueue);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var recovered = await Task.Run(() => ProducerStateTable.Scan(store, _key.Topic, _key.QueueId, settings.RecoveryRecords));
            table.Load(recovered);
            LogProducersLoaded(_key.Topic, _key.QueueId, recovered.Count, clock.ElapsedMilliseconds);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ObjectDisposedException)
        {
            // Without the rebuilt state a retry of a batch stored before the restart is stored again (at-least-once).
            LogProducersLoadFailed(_key.Topic, _key.QueueId, e);
        }

        _producers = table;
    }

    [LoggerMessage(10, LogLevel.Debug, "Queue {Topic}/{QueueId} answered a duplicate batch {First}..{Last} of producer {ProducerId:X16} with its original results")]
    private partial void LogDuplicate(string topic, int queueId, long producerId, long first, long last);

    [LoggerMessage(11, LogLevel.Warning, "Queue {Topic}/{QueueId} refused a batch of producer {ProducerId:X16} starting at sequence {First}; its last accepted sequence is {Last}")]
    private partial void LogOutOfOrder(string topic, int queueId, long producerId, long first, long last);

    [LoggerMessage(12, LogLevel.Debug, "Queue {Topic}/{QueueId} rebuilt the state of {Producers} idempotent producers from its log in {Milliseconds} ms")]
    private partial void LogProducersLoaded(string topic, int queueId, int producers, long milliseconds);

    [LoggerMessage(13, LogLevel.Warning, "Queue {Topic}/{QueueId} could not rebuild idempotent producer state from its log; retries of earlier batches may be stored twice")]
    private partial void LogProducersLoadFailed(string topic, int queueId, Exception exception);
}
