namespace OrleansMq.Grains.Errors;

/// <summary>A topic with that name already exists.</summary>
[GenerateSerializer, Alias("OrleansMq.TopicExistsException")]
public sealed class TopicExistsException : OrleansMqException
{
    /// <summary>Creates the exception.</summary>
    public TopicExistsException(string topic)
        : base($"Topic '{topic}' already exists; use update to change its queue count or permission.") => Topic = topic;

    /// <summary>The topic.</summary>
    [Id(0)]
    public string Topic { get; }
}
