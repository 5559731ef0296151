using System.Diagnostics;
using System.Text;

namespace OrleansMq.TestKit.Processes;

/// <summary>
/// A process started by a test: its output (stdout and stderr, interleaved, with time offsets) is kept for failure
/// messages, it can be stopped gracefully (SIGTERM) or killed (SIGKILL), and disposing it kills it if it still runs,
/// whatever the test's outcome.
/// </summary>
/// <remarks>Thread-safe. Only the last <see cref="MaxLines"/> output lines are kept.</remarks>
public sealed class ChildProcess : IAsyncDisposable
{
    /// <summary>Output lines kept per process.</summary>
    public const int MaxLines = 5000;

    private readonly Process _process;
    private readonly Queue<(double Seconds, string Text)> _lines = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>Name used in messages (e.g. <c>broker-1</c>, <c>postgres</c>).</summary>
    public string Name { get; }

    /// <summary>Operating-system process id.</summary>
    public int Id => _process.Id;

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Exit code, once exited.</summary>
    public int? ExitCode => HasExited ? _process.ExitCode : null;

    /// <summary>Completes when the process exits.</summary>
    public Task Exited => _exited.Task;

    /// <summary>The command line, for messages.</summary>
    public string CommandLine { get; private init; } = "";

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/> (passed as separate arguments, no shell).</summary>
    /// <param name="name">Name for messages.</param>
    /// <param name="fileName">Executable.</param>
    /// <param name="arguments">Arguments.</param>
    /// <param name="workingDirectory">Working directory; the current one when null.</param>
    /// <param name="environment">Extra environment variables (null value removes one).</param>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(key);
                }
                else
                {
                    info.Environment[key] = value;
                }
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process) { CommandLine = fileName + " " + string.Join(' ', info.ArgumentList) };
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Exited += (_, _) => child._exited.TrySetResult();
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {name}: {child.CommandLine}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs a command to completion and returns its output; throws with the output when it fails or exceeds <paramref name="timeout"/>.</summary>
    public static async Task<string> RunAsync(string name, string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        await using var child = Start(name, fileName, arguments, workingDirectory, environment);
        await child.WaitForExitAsync(timeout);
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"{name} failed with exit code {child.ExitCode}: {child.CommandLine}{Environment.NewLine}{child.Output}");
        }

        return child.RawOutput;
    }

    /// <summary>All kept output lines, each prefixed with the seconds since start (<c>[1.234s]</c>).</summary>
    public string Output => Tail(MaxLines);

    /// <summary>All kept output lines as written.</summary>
    public string RawOutput
    {
        get
        {
            lock (_lines)
            {
                return string.Join(Environment.NewLine, _lines.Select(l => l.Text));
            }
        }
    }

    /// <summary>The last <paramref name="count"/> output lines, each prefixed with the seconds since start.</summary>
    public string Tail(int count = 80)
    {
        lock (_lines)
        {
            var builder = new StringBuilder();
            foreach (var (seconds, text) in _lines.Skip(Math.Max(0, _lines.Count - count)))
            {
                builder.Append('[').Append(seconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)).Append("s] ").AppendLine(text);
            }

            return builder.ToString();
        }
    }

    /// <summary>True when any kept output line contains <paramref name="text"/>.</summary>
    public bool OutputContains(string text)
    {
        lock (_lines)
        {
            return _lines.Any(l => l.Text.Contains(text, StringComparison.Ordinal));
        }
    }

    /// <summary>Waits for the process to exit by itself.</summary>
    /// <exception cref="TimeoutException">It still runs after <paramref name="timeout"/> (it is left running).</exception>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _exited.Task.WaitAsync(timeout);

            // Exited fires before the redirected streams are drained; this waits for the last lines.
            await _process.WaitForExitAsync();
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {Name} (pid {Id}) to exit. Last output:{Environment.NewLine}{Tail()}");
        }
    }

    /// <summary>Ends the process at once with SIGKILL (no cleanup runs, like a crash) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (!HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }

        await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Asks the process to stop with <paramref name="signal"/> (default SIGTERM) and waits; kills it if it takes longer than <paramref name="timeout"/>.</summary>
    /// <returns>The exit code.</returns>
    /// <exception cref="TimeoutException">It did not stop in time (it was killed).</exception>
    public async Task<int> StopAsync(TimeSpan timeout, int signal = Posix.SigTerm)
    {
        if (!HasExited)
        {
            Posix.Signal(Id, signal);
            try
            {
                await WaitForExitAsync(timeout);
            }
            catch (TimeoutException)
            {
                await KillAsync();
                throw;
            }
        }

        return _process.ExitCode;
    }

    /// <summary>Kills the process if it still runs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue((_clock.Elapsed.TotalSeconds, line));
            if (_lines.Count > MaxLines)
            {
                _lines.Dequeue();
            }
        }
    }
}
