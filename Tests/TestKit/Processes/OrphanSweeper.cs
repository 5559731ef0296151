using System.Globalization;

namespace OrleansMq.TestKit.Processes;

/// <summary>
/// Cleans up after test processes that died without disposing their fixtures (a crashed or killed test host): their
/// servers would otherwise keep running and their directories stay in /tmp. A fixture marks its directory with its
/// owner's process id; a later run removes marked directories whose owner is gone, after killing every process whose
/// pid file is in the directory and whose command line names the directory (so a reused pid is never hit).
/// </summary>
public static class OrphanSweeper
{
    private const string OwnerFile = "owner.pid";

    /// <summary>Marks <paramref name="directory"/> as owned by this process.</summary>
    public static void Mark(string directory) =>
        File.WriteAllText(Path.Combine(directory, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

    /// <summary>Removes orphaned directories named <paramref name="prefix"/>* in the temp folder and kills their processes.</summary>
    public static void Sweep(string prefix)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), prefix + "*"))
        {
            try
            {
                if (ReadPid(Path.Combine(directory, OwnerFile)) is not { } owner || Posix.IsAlive(owner))
                {
                    continue;
                }

                foreach (var pidFile in Directory.EnumerateFiles(directory, "*.pid", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2 }))
                {
                    if (ReadPid(pidFile) is { } pid && pid != Environment.ProcessId && CommandLineMentions(pid, directory))
                    {
                        Posix.Signal(pid, Posix.SigKill);
                    }
                }

                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another run is sweeping the same directory, or a process still holds a file; the next sweep retries.
            }
        }
    }

    private static int? ReadPid(string path)
    {
        try
        {
            var first = File.ReadLines(path).FirstOrDefault();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool CommandLineMentions(int pid, string directory)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains(directory, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
