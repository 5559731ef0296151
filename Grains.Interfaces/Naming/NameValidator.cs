namespace OrleansMq.Grains.Naming;

/// <summary>
/// Validation of topic, consumer group, producer group and broker names. The rules are RocketMQ's, narrowed so every
/// name is safe as a file name and as part of a grain key: letters, digits, '_', '-' and '.'; <c>%</c> only in the
/// reserved system prefixes.
/// </summary>
public static class NameValidator
{
    /// <summary>Longest topic name (RocketMQ: 127).</summary>
    public const int MaxTopicLength = 127;

    /// <summary>Longest consumer or producer group name (RocketMQ: 255).</summary>
    public const int MaxGroupLength = 255;

    /// <summary>Longest broker name.</summary>
    public const int MaxBrokerLength = 64;

    /// <summary>The characters allowed in names, for error messages.</summary>
    public const string AllowedCharacters = "letters, digits, '_', '-' and '.'";

    /// <summary>Returns null when <paramref name="topic"/> is a valid user topic, else what is wrong and what is allowed.</summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="allowSystem">Accept the reserved system topics (retry, DLQ, schedule, transaction), which users may not send to.</param>
    public static string? ValidateTopic(string? topic, bool allowSystem = false)
    {
        if (string.IsNullOrEmpty(topic))
        {
            return "Topic name is empty; give 1 to 127 characters: " + AllowedCharacters + ".";
        }

        if (topic.Length > MaxTopicLength)
        {
            return $"Topic name '{Shorten(topic)}' is {topic.Length} characters long; at most {MaxTopicLength} are allowed.";
        }

        if (SystemTopics.IsSystem(topic))
        {
            return allowSystem
                ? ValidateCharacters(SystemTopics.StripPrefix(topic), "Topic", topic)
                : $"Topic '{topic}' is a reserved system topic ({SystemTopics.Describe}); user messages cannot be sent to it.";
        }

        return ValidateCharacters(topic, "Topic", topic);
    }

    /// <summary>Returns null when <paramref name="group"/> is a valid consumer or producer group name, else the problem.</summary>
    public static string? ValidateGroup(string? group)
    {
        if (string.IsNullOrEmpty(group))
        {
            return "Group name is empty; give 1 to 255 characters: " + AllowedCharacters + ".";
        }

        if (group.Length > MaxGroupLength)
        {
            return $"Group name '{Shorten(group)}' is {group.Length} characters long; at most {MaxGroupLength} are allowed.";
        }

        return ValidateCharacters(group, "Group", group);
    }

    /// <summary>Returns null when <paramref name="broker"/> is a valid broker name, else the problem.</summary>
    public static string? ValidateBroker(string? broker)
    {
        if (string.IsNullOrEmpty(broker))
        {
            return "Broker name is empty; give 1 to 64 characters: " + AllowedCharacters + ".";
        }

        if (broker.Length > MaxBrokerLength)
        {
            return $"Broker name '{Shorten(broker)}' is {broker.Length} characters long; at most {MaxBrokerLength} are allowed.";
        }

        return ValidateCharacters(broker, "Broker", broker);
    }

    /// <summary>Throws <see cref="ArgumentException"/> when the topic is invalid for a user send.</summary>
    public static void ThrowIfInvalidTopic(string? topic, string paramName)
    {
        if (ValidateTopic(topic) is { } error)
        {
            throw new ArgumentException(error, paramName);
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> when the group name is invalid.</summary>
    public static void ThrowIfInvalidGroup(string? group, string paramName)
    {
        if (ValidateGroup(group) is { } error)
        {
            throw new ArgumentException(error, paramName);
        }
    }

    private static string? ValidateCharacters(string name, string kind, string original)
    {
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (!IsAllowed(c))
            {
                return $"{kind} name '{Shorten(original)}' has the character '{c}' at position {original.IndexOf(c, StringComparison.Ordinal)}; only {AllowedCharacters} are allowed.";
            }
        }

        return name.Length == 0 ? $"{kind} name '{original}' has nothing after its system prefix." : null;
    }

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';

    private static string Shorten(string s) => s.Length <= 40 ? s : string.Concat(s.AsSpan(0, 37), "...");
}
