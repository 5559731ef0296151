using Microsoft.Extensions.Logging;
using OrleansMq.Grains.Messages;
using OrleansMq.Storage;

namespace OrleansMq.Grains.Queues;

/// <summary>
/// The idempotent producer's broker side: a batch that carries a producer id is stored at most once per queue.
/// A producer's batches to this queue are handled one at a time (a retry may arrive while its original is still
/// being stored; it then waits and is answered with the original's results). Producer state is rebuilt from the
/// newest records of the queue the first time an idempotent batch arrives after activation.
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
        while (state.Busy is { } busy)
        {
            await busy;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        state.Busy = done.Task;
        try
        {
            var last = request.BaseSequence + request.Count - 1;
            switch (state.Classify(request.BaseSequence, request.Count, request.Resync))
            {
                case SequenceDecision.Duplicate:
                    if (state.FindDuplicate(request.BaseSequence, request.Count, store.StoreId) is { } original)
                    {
                        LogDuplicate(_key.Topic, _key.QueueId, request.ProducerId, request.BaseSequence, last);
                        return original;
                    }

                    return Refuse(SendStatus.DuplicateSequence, store.StoreId,
                        $"Queue {_key.Topic}/{_key.QueueId} already stored sequences {request.BaseSequence}..{last} of producer {request.ProducerId:X16} "
                        + $"(its last stored sequence is {state.LastSequence}) but no longer remembers their message ids; nothing was stored again.");
                case SequenceDecision.OutOfOrder:
                    LogOutOfOrder(_key.Topic, _key.QueueId, request.ProducerId, request.BaseSequence, state.LastSequence);
                    return Refuse(SendStatus.OutOfOrderSequence, store.StoreId,
                        $"Queue {_key.Topic}/{_key.QueueId} expected sequence {state.LastSequence + 1} from producer {request.ProducerId:X16} "
                        + $"(the next after its last stored sequence {state.LastSequence}) but the batch has sequences {request.BaseSequence}..{last}; "
                        + "a batch was lost or sent out of order, so nothing was stored.");
            }

            var response = await AppendCoreAsync(store, request, cancellationToken);
            if (AnyStored(response))
            {
                state.Record(request.BaseSequence, request.Count, response);
            }

            return response;
        }
        finally
        {
            state.Busy = null;
            done.SetResult();
        }
    }

    private static bool AnyStored(AppendResponse response)
    {
        foreach (var message in response.Messages)
        {
            if (message.Status is SendStatus.Ok or SendStatus.FlushDiskTimeout)
            {
                return true;
            }
        }

        return false;
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

    [LoggerMessage(11, LogLevel.Warning, "Queue {Topic}/{QueueId} refused a batch of producer {ProducerId:X16} starting at sequence {First}; its last stored sequence is {Last}")]
    private partial void LogOutOfOrder(string topic, int queueId, long producerId, long first, long last);

    [LoggerMessage(12, LogLevel.Debug, "Queue {Topic}/{QueueId} rebuilt the state of {Producers} idempotent producers from its log in {Milliseconds} ms")]
    private partial void LogProducersLoaded(string topic, int queueId, int producers, long milliseconds);

    [LoggerMessage(13, LogLevel.Warning, "Queue {Topic}/{QueueId} could not rebuild idempotent producer state from its log; retries of earlier batches may be stored twice")]
    private partial void LogProducersLoadFailed(string topic, int queueId, Exception exception);
}
