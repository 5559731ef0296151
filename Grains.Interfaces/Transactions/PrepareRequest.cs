namespace OrleansMq.Grains.Transactions;

/// <summary>A transactional half message to store on the broker of its queue, invisible to consumers until committed.</summary>
/// <remarks>Immutable; the sender must not reuse <see cref="Batch"/>'s memory after the call starts.</remarks>
/// <param name="Topic">The message's topic.</param>
/// <param name="QueueId">The queue it will be appended to on commit (owned by the broker receiving the request).</param>
/// <param name="Batch">One encoded batch entry (<c>MessageBatchWriter</c>); delay and timer flags are refused.</param>
/// <param name="ProducerGroup">Producer group asked to check the transaction back when its outcome stays unknown.</param>
/// <param name="ProducerId">Member id of the sending producer in its group; asked first by check-backs while it is alive.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.PrepareRequest")]
public sealed record PrepareRequest(
    [property: Id(0)] string Topic,
    [property: Id(1)] int QueueId,
    [property: Id(2)] ReadOnlyMemory<byte> Batch,
    [property: Id(3)] string ProducerGroup,
    [property: Id(4)] string ProducerId);
