
namespace OrleansMq.Storage.CommitLog;

/// <summary>One <see cref="MessageStore.AppendAsync"/> call on its way through the writer (and, under sync, the flusher).</summary>
/// <remarks>
/// One object per batch (never per message). Completed exactly once through <see cref="AppendCompleter"/>, with
/// continuations run asynchronously so the writer and flusher threads never run caller code.
/// </remarks>
internal sealed class AppendRequest(string topic, int queueId, ReadOnlyMemory<byte> batch, MessageAppendResult[] results, int validCount, int recordBytes, long startTimestamp)
    : TaskCompletionSource<AppendResult>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    private int _completed;

    public string Topic { get; } = topic;

    public int QueueId { get; } = queueId;

    /// <summary>The caller's batch; read until the request completes, never after.</summary>
    public ReadOnlyMemory<byte> Batch { get; } = batch;

    /// <summary>Per-entry results: invalid entries carry their status; valid ones <see cref="AppendStatus.Invalid"/> until stored.</summary>
    public MessageAppendResult[] Results { get; } = results;

    public int ValidCount { get; } = validCount;

    /// <summary>Encoded size of the valid entries' records.</summary>
    public int RecordBytes { get; } = recordBytes;

    public long StartTimestamp { get; } = startTimestamp;

    // Set by the writer.
    public ConsumeQueue.ConsumeQueue? Queue { get; set; }

    public long FirstQueueOffset { get; set; }

    public long LastQueueOffset { get; set; }

    public long EndLogOffset { get; set; }

    public int BufferStart { get; set; }

    public long StoreTimestamp { get; set; }

    public int Epoch { get; set; }

    /// <summary>Claims the right to complete; false when someone already did.</summary>
    public bool TryClaim() => Interlocked.Exchange(ref _completed, 1) == 0;
}
