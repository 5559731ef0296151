namespace OrleansMq.Grains.Consumers;

/// <summary>How a consumer group shares messages (RocketMQ MessageModel).</summary>
[GenerateSerializer, Alias("OrleansMq.ConsumeMode")]
public enum ConsumeMode
{
    /// <summary>Each message goes to one member; queues are divided among members; offsets stored on the broker.</summary>
    Clustering = 0,

    /// <summary>Every member gets every message; each member keeps its own offsets locally.</summary>
    Broadcasting = 1,
}
