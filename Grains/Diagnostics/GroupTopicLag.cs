namespace OrleansMq.Grains.Diagnostics;

/// <summary>A consumer group's lag on one topic, summed over the topic's queues.</summary>
/// <param name="Group">Consumer group.</param>
/// <param name="Topic">Topic (including the group's retry topic).</param>
/// <param name="Lag">Messages not yet consumed.</param>
/// <param name="OldestAgeSeconds">Age of the oldest unconsumed message, in seconds; 0 when nothing waits.</param>
internal readonly record struct GroupTopicLag(string Group, string Topic, long Lag, double OldestAgeSeconds);
