using System.Globalization;

namespace OrleansMq.Cli.Output;

/// <summary>How values look in tables.</summary>
internal static class Formats
{
    public static string Cell(object? value) => value switch
    {
        null => "-",
        string s => s.Length == 0 ? "-" : s,
        DateTimeOffset t => Time(t),
        long or int => ((IFormattable)value).ToString("N0", CultureInfo.InvariantCulture),
        double d => d.ToString("0.#", CultureInfo.InvariantCulture),
        bool b => b ? "yes" : "no",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "-",
    };

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string Time(long unixMs) => Time(DateTimeOffset.FromUnixTimeMilliseconds(unixMs));

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 40 => (bytes / (double)(1L << 40)).ToString("0.0 'TiB'", CultureInfo.InvariantCulture),
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0 'GiB'", CultureInfo.InvariantCulture),
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0 'MiB'", CultureInfo.InvariantCulture),
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0 'KiB'", CultureInfo.InvariantCulture),
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    public static string Age(TimeSpan? age) => age is not { } a ? "-"
        : a.TotalSeconds < 60 ? a.TotalSeconds.ToString("0.0 's'", CultureInfo.InvariantCulture)
        : a.TotalMinutes < 60 ? a.TotalMinutes.ToString("0.0 'min'", CultureInfo.InvariantCulture)
        : a.TotalHours.ToString("0.0 'h'", CultureInfo.InvariantCulture);
}
