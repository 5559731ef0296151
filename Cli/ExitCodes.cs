namespace OrleansMq.Cli;

/// <summary>The CLI's exit codes, for scripts.</summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>The cluster refused or could not do it (unknown topic, topic exists, message not found, …).</summary>
    public const int Failed = 1;

    /// <summary>Bad command line: unknown command or option, missing or malformed value. Usage is printed.</summary>
    public const int Usage = 2;

    /// <summary>The cluster (or the broker a command needs) could not be reached in time.</summary>
    public const int Unreachable = 3;

    /// <summary>Interrupted (Ctrl+C).</summary>
    public const int Interrupted = 130;
}
