using System.Globalization;

namespace OrleansMq.Cli;

/// <summary>
/// Times on the command line: <c>now</c>; an age such as <c>15m</c>, <c>-2h</c>, <c>1d</c>, <c>30s</c> (that long ago);
/// Unix milliseconds; or an ISO 8601 time (<c>2026-01-31T12:00:00Z</c>, UTC when no offset is given).
/// </summary>
internal static class TimeArgument
{
    public const string Help = "now, an age (30s, 15m, 2h, 1d ago), Unix ms, or ISO 8601 (UTC unless an offset is given)";

    /// <exception cref="CliException">Not a time in any accepted form (usage error).</exception>
    public static DateTimeOffset Parse(string text, string option, DateTimeOffset now)
    {
        var value = text.Trim();
        if (value.Equals("now", StringComparison.OrdinalIgnoreCase))
        {
            return now;
        }

        var age = value.StartsWith('-') ? value[1..] : value;
        if (age.Length >= 2 && char.IsAsciiLetter(age[^1])
            && double.TryParse(age[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            TimeSpan? span = char.ToLowerInvariant(age[^1]) switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (span is { } ago)
            {
                return now - ago;
            }
        }

        if (value.Length >= 10 && value.All(char.IsAsciiDigit) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        throw CliException.Usage($"{option} '{text}' is not a time; give {Help}.");
    }
}
