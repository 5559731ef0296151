namespace OrleansMq.Storage.Codec;

/// <summary>Property names the store itself reads (RocketMQ names). Other layers define their own.</summary>
public static class MessagePropertyNames
{
    /// <summary>The message tag; its hash goes into the consume queue entry.</summary>
    public const string Tags = "TAGS";

    /// <summary>User keys, separated by spaces; each one is indexed.</summary>
    public const string Keys = "KEYS";

    /// <summary>The client-generated unique key; indexed.</summary>
    public const string UniqueKey = "UNIQ_KEY";

    /// <summary>Separator between keys in <see cref="Keys"/>.</summary>
    public const char KeySeparator = ' ';
}
