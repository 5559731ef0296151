namespace OrleansMq.Grains.Messages;

/// <summary>A batch of messages for one queue, encoded once by the producer (<c>MessageBatchWriter</c>).</summary>
/// <remarks>
/// Immutable: inside a silo Orleans passes it by reference. The sender must not reuse <see cref="Batch"/>'s memory
/// after the call starts.
/// </remarks>
/// <param name="Batch">Encoded batch entries.</param>
/// <param name="Count">Number of entries in <see cref="Batch"/>.</param>
/// <param name="HasScheduled">
/// True when an entry carries <c>MessageFlags.Scheduled</c> (delay level or delivery time): the broker then parks those
/// entries until due. False keeps the common path free of any per-message inspection.
/// </param>
[GenerateSerializer, Immutable, Alias("OrleansMq.AppendRequest")]
public sealed record AppendRequest([property: Id(0)] ReadOnlyMemory<byte> Batch, [property: Id(1)] int Count, [property: Id(2)] bool HasScheduled = false);
