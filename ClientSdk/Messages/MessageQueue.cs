namespace OrleansMq.Client.Messages;

/// <summary>One queue of a topic on its broker (RocketMQ MessageQueue).</summary>
/// <param name="Topic">Topic.</param>
/// <param name="Broker">Owning broker.</param>
/// <param name="QueueId">Queue id.</param>
public sealed record MessageQueue(string Topic, string Broker, int QueueId)
{
    /// <inheritdoc />
    public override string ToString() => $"{Topic}/{Broker}/{QueueId}";
}
