using System.ComponentModel;
using System.Globalization;

namespace OrleansMq.Storage.Flush;

/// <summary>
/// When an append is acknowledged relative to the disk (RocketMQ SYNC_FLUSH / ASYNC_FLUSH).
/// </summary>
/// <remarks>
/// <see cref="Sync"/> is the default and the only policy under which an acknowledged message survives an OS
/// crash or power loss. <see cref="Async"/> acknowledges from the page cache: a crash of the machine (not of the
/// process) can lose up to one <see cref="Interval"/> of acknowledged messages.
/// </remarks>
[TypeConverter(typeof(FlushPolicyConverter))]
public abstract class FlushPolicy
{
    private static readonly FlushPolicy SyncInstance = new SyncFlushPolicy();

    private protected FlushPolicy()
    {
    }

    /// <summary>Acknowledge only after the batch is fdatasync'ed; readers never see past the durable position.</summary>
    public static FlushPolicy Sync => SyncInstance;

    /// <summary>True for <see cref="Sync"/>.</summary>
    public abstract bool IsSync { get; }

    /// <summary>Background flush interval of <see cref="Async"/>; <see cref="TimeSpan.Zero"/> for <see cref="Sync"/>.</summary>
    public abstract TimeSpan Interval { get; }

    /// <summary>Acknowledge after the write reaches the OS; flush every <paramref name="interval"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is not in (0, 1 h].</exception>
    public static FlushPolicy Async(TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero || interval > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "FlushPolicy.Async interval must be in (0, 1 h].");
        }

        return new AsyncFlushPolicy(interval);
    }

    /// <summary>Parses "sync" or "async" / "async:500ms" / "async:00:00:00.5" (configuration form).</summary>
    /// <remarks>Plain "async" means RocketMQ's default of 500 ms. Units accepted: ms, s.</remarks>
    /// <exception cref="FormatException">Unrecognized text.</exception>
    public static FlushPolicy Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Equals("sync", StringComparison.OrdinalIgnoreCase))
        {
            return Sync;
        }

        if (trimmed.Equals("async", StringComparison.OrdinalIgnoreCase))
        {
            return Async(TimeSpan.FromMilliseconds(500));
        }

        const string prefix = "async:";
        if (trimmed.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            var value = trimmed[prefix.Length..].Trim();
            if (TryParseInterval(value, out var interval) && interval > TimeSpan.Zero && interval <= TimeSpan.FromHours(1))
            {
                return Async(interval);
            }
        }

        throw new FormatException($"Invalid flush policy '{text}': expected 'sync', 'async', 'async:500ms', 'async:2s' or 'async:00:00:00.5' (interval in (0, 1 h]).");
    }

    private static bool TryParseInterval(string value, out TimeSpan interval)
    {
        interval = default;
        if (value.EndsWith("ms", StringComparison.OrdinalIgnoreCase)
            && double.TryParse(value[..^2], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
        {
            interval = TimeSpan.FromMilliseconds(ms);
            return true;
        }

        if (value.EndsWith('s') && double.TryParse(value[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var s))
        {
            interval = TimeSpan.FromSeconds(s);
            return true;
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out interval);
    }
}
