namespace OrleansMq.Grains.Routing;

/// <summary>What clients may do with a topic. Persisted: values are stable.</summary>
[GenerateSerializer, Alias("OrleansMq.TopicPermission")]
[Flags]
public enum TopicPermission
{
    /// <summary>Neither read nor write (a drained or frozen topic).</summary>
    None = 0,

    /// <summary>Consumers may pull.</summary>
    Read = 1,

    /// <summary>Producers may send.</summary>
    Write = 2,

    /// <summary>Read and write (the default).</summary>
    ReadWrite = Read | Write,
}
