using System.Globalization;

namespace OrleansMq.Benchmarks.Common;

/// <summary>
/// Resident memory of a process from <c>/proc/&lt;pid&gt;/status</c>: <c>VmRSS</c> (all resident pages) and <c>RssAnon</c>
/// (anonymous pages: the managed heap and native allocations, without the memory-mapped consume queue and index
/// files, which are counted in <c>RssFile</c>). Linux only; NaN elsewhere or when the process is gone.
/// </summary>
internal readonly record struct ProcessMemory(double RssBytes, double AnonBytes)
{
    public static ProcessMemory Read(int pid)
    {
        double rss = double.NaN, anon = double.NaN;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line);
                }
                else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                {
                    anon = Kilobytes(line);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return new ProcessMemory(rss, anon);
    }

    /// <summary>"VmRSS:	  123456 kB" → bytes.</summary>
    private static double Kilobytes(string line)
    {
        var value = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        var space = value.IndexOf(' ', StringComparison.Ordinal);
        return double.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture) * 1024;
    }
}
