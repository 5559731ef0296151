namespace OrleansMq.Grains.Messages;

/// <summary>A batch of messages for one queue, encoded once by the producer (<c>MessageBatchWriter</c>).</summary>
/// <remarks>
/// Immutable: inside a silo Orleans passes it by reference. The sender must not reuse <see cref="Batch"/>'s memory
/// after the call starts. Read from the wire, <see cref="Batch"/> is a pooled buffer that the queue grain releases when
/// the append completes.
/// </remarks>
/// <param name="Batch">Encoded batch entries.</param>
/// <param name="Count">Number of entries in <see cref="Batch"/>.</param>
/// <param name="HasScheduled">
/// True when an entry carries <c>MessageFlags.Scheduled</c> (delay level or delivery time): the broker then parks those
/// entries until due. False keeps the common path free of any per-message inspection.
/// </param>
/// <param name="ProducerId">
/// Idempotent producer: the producer's id (non-zero), or 0 for a producer without idempotence. With an id, entry
/// <c>i</c> carries the property <c>PSEQ</c> = <see cref="SequenceProperty"/>(id, <paramref name="BaseSequence"/> + i)
/// and the queue stores the batch at most once (see <c>docs/transactions.md</c>).
/// </param>
/// <param name="BaseSequence">Idempotent producer: the sequence of the first entry in this queue (0, 1, 2, … per producer and queue).</param>
/// <param name="Resync">
/// Idempotent producer: the producer skipped sequences after a batch it saw fail (the sequences were never stored), so
/// the queue accepts a gap before <paramref name="BaseSequence"/>. Sequences still never go backwards.
/// </param>
[GenerateSerializer, Immutable, Alias("OrleansMq.AppendRequest")]
public sealed record AppendRequest(
    [property: Id(0)] BatchBytes Batch,
    [property: Id(1)] int Count,
    [property: Id(2)] bool HasScheduled = false,
    [property: Id(3)] long ProducerId = 0,
    [property: Id(4)] long BaseSequence = 0,
    [property: Id(5)] bool Resync = false);
