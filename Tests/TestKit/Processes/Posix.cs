using System.Runtime.InteropServices;

namespace OrleansMq.TestKit.Processes;

/// <summary>The few POSIX calls .NET does not expose: effective user id and sending a signal.</summary>
public static partial class Posix
{
    /// <summary>SIGINT: PostgreSQL's "fast shutdown".</summary>
    public const int SigInt = 2;

    /// <summary>SIGKILL: ends a process at once, as a crash or <c>kill -9</c> would.</summary>
    public const int SigKill = 9;

    /// <summary>SIGTERM: graceful stop (.NET hosts stop their services and exit).</summary>
    public const int SigTerm = 15;

    /// <summary>True when this process runs as root (effective uid 0); PostgreSQL then has to run as another user.</summary>
    public static bool IsRoot => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? GetEffectiveUserId() == 0 : false;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when no such process exists.</summary>
    public static bool Signal(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>True when a process with this id exists (signal 0 probes without sending anything).</summary>
    public static bool IsAlive(int pid) => Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == 1; // EPERM: exists, not ours

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
