using System.Text;
using OrleansMq.Storage.Codec;
using OrleansMq.Storage.CommitLog;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage;

public sealed partial class MessageStore
{
    /// <summary>Largest total record size of one append (a batch is written in one group; 4 MiB bodies × 64 fit).</summary>
    private const long MaxBatchRecordBytes = 256L << 20;

    /// <summary>
    /// Appends an encoded batch (<see cref="MessageBatchWriter"/>) to one queue. Valid entries get dense,
    /// consecutive queue offsets in batch order; invalid ones are reported per message and skipped.
    /// </summary>
    /// <remarks>
    /// Per-message checks: empty body or body over <c>MaxBodySize</c> → <see cref="AppendStatus.BodyTooLarge"/>;
    /// properties over <c>MaxPropertiesSize</c> → <see cref="AppendStatus.PropertiesTooLarge"/>; malformed properties →
    /// <see cref="AppendStatus.MessageIllegal"/>. Malformed batch framing, an empty batch or a batch over 256 MiB →
    /// the whole batch is <see cref="AppendStatus.MessageIllegal"/> with no per-message results.
    /// The batch buffer is read until the returned task completes. <paramref name="cancellationToken"/> only cancels
    /// waiting for a writer slot; once queued an append cannot be withdrawn. The result's records are readable
    /// when it completes with <see cref="AppendStatus.Ok"/>.
    /// <para>Order: appends made one after another (each call returned before the next was made) are written in that
    /// order, also when the store is at its limit of pending appends and they wait for a slot. A queue grain relies
    /// on this to accept an idempotent producer's next batch while the previous one is still being stored.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">Empty or over-long topic, or negative queue id.</exception>
    public ValueTask<AppendResult> AppendAsync(string topic, int queueId, ReadOnlyMemory<byte> batch, CancellationToken cancellationToken = default)
    {
        TopicNames.Validate(topic, queueId);
        var start = _time.GetTimestamp();
        if (_closed)
        {
            return new ValueTask<AppendResult>(new AppendResult(AppendStatus.StoreClosed, [], Now()));
        }

        var topicLength = Encoding.UTF8.GetByteCount(topic);
        int count;
        try
        {
            count = CountEntries(batch.Span);
        }
        catch (FormatException)
        {
            return new ValueTask<AppendResult>(new AppendResult(AppendStatus.MessageIllegal, [], Now()));
        }

        if (count == 0)
        {
            return new ValueTask<AppendResult>(new AppendResult(AppendStatus.MessageIllegal, [], Now()));
        }

        var results = new MessageAppendResult[count];
        var valid = 0;
        long recordBytes = 0;
        var firstFailure = AppendStatus.Invalid;
        var reader = new MessageBatchReader(batch.Span);
        for (var i = 0; reader.TryRead(out var entry); i++)
        {
            var status = Check(entry);
            if (status == AppendStatus.Ok)
            {
                results[i] = new MessageAppendResult(AppendStatus.Invalid, -1, -1);
                valid++;
                recordBytes += RecordLayout.RecordSize(topicLength, entry.Properties.Length, entry.Body.Length);
            }
            else
            {
                results[i] = new MessageAppendResult(status, -1, -1);
                if (firstFailure == AppendStatus.Invalid)
                {
                    firstFailure = status;
                }
            }
        }

        if (recordBytes > MaxBatchRecordBytes)
        {
            return new ValueTask<AppendResult>(new AppendResult(AppendStatus.MessageIllegal, [], Now()));
        }

        if (valid == 0)
        {
            return new ValueTask<AppendResult>(new AppendResult(firstFailure, results, Now()));
        }

        var request = new AppendRequest(topic, queueId, batch, results, valid, (int)recordBytes, start);
        if (_slotOrder.CurrentCount == 0 || !_slots.Wait(0))
        {
            return EnqueueSlowAsync(request, cancellationToken);
        }

        Enqueue(request);
        return new ValueTask<AppendResult>(request.Task);
    }

    /// <summary>
    /// Waits for a writer slot in call order: <c>_slotOrder</c> is held (or handed on) while any append waits, and it is a
    /// FIFO for async waiters entered before this method first yields; appends that find it taken queue behind, so the
    /// store's limit never reorders appends.
    /// </summary>
    private async ValueTask<AppendResult> EnqueueSlowAsync(AppendRequest request, CancellationToken cancellationToken)
    {
        await _slotOrder.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            Enqueue(request);
        }
        finally
        {
            _slotOrder.Release();
        }

        return await request.Task.ConfigureAwait(false);
    }

    private void Enqueue(AppendRequest request)
    {
        _writer.Enqueue(request);
        if (_closed)
        {
            // Raced with DisposeAsync after the writer drained its queue: nobody else will answer this request.
            _writer.FailQueued();
        }
    }

    private AppendStatus Check(BatchEntry entry)
    {
        if (entry.Body.IsEmpty || entry.Body.Length > _options.MaxBodySize)
        {
            return AppendStatus.BodyTooLarge;
        }

        if (entry.Properties.Length > _options.MaxPropertiesSize)
        {
            return AppendStatus.PropertiesTooLarge;
        }

        return MessageProperties.IsValid(entry.Properties) ? AppendStatus.Ok : AppendStatus.MessageIllegal;
    }

    private static int CountEntries(ReadOnlySpan<byte> batch)
    {
        var reader = new MessageBatchReader(batch);
        var count = 0;
        while (reader.TryRead(out _))
        {
            count++;
        }

        return count;
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();
}
