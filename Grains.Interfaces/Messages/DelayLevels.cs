namespace OrleansMq.Grains.Messages;

/// <summary>
/// RocketMQ's 18 delay levels: <c>1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h</c>. Level 0 means no
/// delay; retries use level 3 + the reconsume count (10 s … 2 h).
/// </summary>
public static class DelayLevels
{
    private static readonly TimeSpan[] Delays =
    [
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30),
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(4),
        TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(6), TimeSpan.FromMinutes(7), TimeSpan.FromMinutes(8),
        TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(20), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1), TimeSpan.FromHours(2),
    ];

    /// <summary>The highest level (18, two hours).</summary>
    public const int MaxLevel = 18;

    /// <summary>The delay of a level (1..18).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not between 1 and 18.</exception>
    public static TimeSpan Delay(int level) =>
        level is >= 1 and <= MaxLevel
            ? Delays[level - 1]
            : throw new ArgumentOutOfRangeException(nameof(level), level, $"Delay level {level} does not exist; levels are 1 to {MaxLevel} ({Describe}).");

    /// <summary>The retry level for a message consumed <paramref name="reconsumeTimes"/> times before: 3 + n, at most 18.</summary>
    public static int ForRetry(int reconsumeTimes) => Math.Min(3 + Math.Max(0, reconsumeTimes), MaxLevel);

    /// <summary>The levels as text, for messages.</summary>
    public const string Describe = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h";
}
