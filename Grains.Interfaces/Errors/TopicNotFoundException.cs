namespace OrleansMq.Grains.Errors;

/// <summary>The topic does not exist.</summary>
[GenerateSerializer, Alias("OrleansMq.TopicNotFoundException")]
public sealed class TopicNotFoundException : OrleansMqException
{
    /// <summary>Creates the exception.</summary>
    public TopicNotFoundException(string topic, string? hint = null)
        : base($"Topic '{topic}' does not exist.{(hint is null ? "" : " " + hint)}") => Topic = topic;

    /// <summary>The topic.</summary>
    [Id(0)]
    public string Topic { get; }
}
