using OrleansMq.TestKit.Processes;

namespace OrleansMq.TestKit.Postgres;

/// <summary>
/// Finds the PostgreSQL server programs (<c>initdb</c>, <c>postgres</c>) and decides how to run them: directly, or, when
/// this process is root (CI, containers), as the <c>postgres</c> OS user through <c>setpriv</c>, because both programs
/// refuse to run as root. <c>setpriv</c> replaces itself with the program (unlike <c>runuser</c>, which stays as a
/// parent and turns SIGINT into SIGTERM), so the started process id is the server's and signals reach it directly.
/// </summary>
public sealed class PostgresBinaries
{
    /// <summary>Environment variable that names the directory holding initdb and postgres, overriding the search.</summary>
    public const string BinDirectoryVariable = "ORLEANSMQ_PG_BIN";

    /// <summary>The OS user the server runs as when tests run as root.</summary>
    public const string ServiceUser = "postgres";

    /// <summary>What to run when the binaries are missing.</summary>
    public const string InstallHint = "apt-get install postgresql";

    private PostgresBinaries(string binDirectory, bool runAsServiceUser)
    {
        BinDirectory = binDirectory;
        RunAsServiceUser = runAsServiceUser;
    }

    /// <summary>Directory of initdb and postgres.</summary>
    public string BinDirectory { get; }

    /// <summary>True when programs run as <see cref="ServiceUser"/> (this process is root).</summary>
    public bool RunAsServiceUser { get; }

    /// <summary>Locates the binaries: <see cref="BinDirectoryVariable"/>, then <c>pg_config --bindir</c>, then the newest <c>/usr/lib/postgresql/*/bin</c>.</summary>
    /// <exception cref="InvalidOperationException">Not found, or root without the <c>postgres</c> user or <c>setpriv</c>; the message says what to install.</exception>
    public static async Task<PostgresBinaries> LocateAsync()
    {
        var directory = await FindBinDirectoryAsync() ?? throw new InvalidOperationException(
            $"PostgreSQL server programs (initdb, postgres) were not found (looked in ${BinDirectoryVariable}, `pg_config --bindir` and /usr/lib/postgresql/*/bin). "
            + $"Install them: {InstallHint} (Debian/Ubuntu), or set {BinDirectoryVariable} to their directory.");

        if (!Posix.IsRoot)
        {
            return new PostgresBinaries(directory, runAsServiceUser: false);
        }

        if (!File.Exists("/usr/bin/setpriv"))
        {
            throw new InvalidOperationException("Tests run as root, so PostgreSQL must run as another user through setpriv, which is missing. Install it: apt-get install util-linux.");
        }

        if (!await UserExistsAsync(ServiceUser))
        {
            throw new InvalidOperationException(
                $"Tests run as root, so PostgreSQL must run as the '{ServiceUser}' OS user, which does not exist. {InstallHint} creates it "
                + $"(or: useradd --system --user-group --home-dir /var/lib/postgresql {ServiceUser}).");
        }

        return new PostgresBinaries(directory, runAsServiceUser: true);
    }

    /// <summary>The program and arguments that run <paramref name="program"/> (e.g. <c>initdb</c>) as the right user.</summary>
    public (string FileName, IReadOnlyList<string> Arguments) Command(string program, IEnumerable<string> arguments)
    {
        var path = Path.Combine(BinDirectory, program);
        if (!RunAsServiceUser)
        {
            return (path, arguments.ToArray());
        }

        return ("/usr/bin/setpriv", [$"--reuid={ServiceUser}", $"--regid={ServiceUser}", "--init-groups", "--", path, .. arguments]);
    }

    /// <summary>Gives <paramref name="path"/> to the server's user when it runs as <see cref="ServiceUser"/>.</summary>
    public async Task GrantAsync(string path)
    {
        if (RunAsServiceUser)
        {
            await ChildProcess.RunAsync("chown", "chown", ["-R", $"{ServiceUser}:", path], TimeSpan.FromSeconds(30));
        }
    }

    private static async Task<string?> FindBinDirectoryAsync()
    {
        if (Environment.GetEnvironmentVariable(BinDirectoryVariable) is { Length: > 0 } configured)
        {
            return HasServer(configured) ? configured : throw new InvalidOperationException($"{BinDirectoryVariable}='{configured}' has no initdb and postgres.");
        }

        try
        {
            var output = await ChildProcess.RunAsync("pg_config", "pg_config", ["--bindir"], TimeSpan.FromSeconds(30));
            var directory = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
            if (HasServer(directory))
            {
                return directory;
            }
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            // No pg_config (it comes with libpq-dev or postgresql-common); fall through.
        }

        const string Root = "/usr/lib/postgresql";
        if (!Directory.Exists(Root))
        {
            return null;
        }

        return Directory.GetDirectories(Root)
            .Select(d => (Directory: Path.Combine(d, "bin"), Version: double.TryParse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0))
            .Where(d => HasServer(d.Directory))
            .OrderByDescending(d => d.Version)
            .Select(d => d.Directory)
            .FirstOrDefault();
    }

    private static bool HasServer(string directory) =>
        File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "postgres"));

    private static async Task<bool> UserExistsAsync(string user)
    {
        await using var id = ChildProcess.Start("id", "id", ["-u", user]);
        await id.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return id.ExitCode == 0;
    }
}
