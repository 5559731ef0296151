using System.CommandLine;
using OrleansMq.Cli.Commands;
using OrleansMq.Grains.Errors;

namespace OrleansMq.Cli;

/// <summary>
/// The <c>orleansmq</c> command line: builds the command tree, runs one command and turns failures into one line on
/// stderr and an exit code (<see cref="ExitCodes"/>).
/// </summary>
public static class CliApp
{
    /// <summary>Runs the CLI as the process entry point does; tests call it in-process.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="output">Standard output: tables or JSON.</param>
    /// <param name="error">Standard error: errors and progress bars.</param>
    /// <param name="interactive">True when <paramref name="error"/> is a terminal (progress bars are drawn).</param>
    /// <param name="environment">Environment lookup; the process environment when null.</param>
    /// <param name="cancellationToken">Cancels the running command (Ctrl+C).</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(
        string[] args,
        TextWriter output,
        TextWriter error,
        bool interactive = false,
        Func<string, string?>? environment = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var context = new CliContext(output, error, interactive, environment ?? Environment.GetEnvironmentVariable);
        var root = Build(context);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var problem in parsed.Errors)
            {
                await error.WriteLineAsync($"error: {problem.Message}");
            }

            await error.WriteLineAsync($"usage: run '{CommandPath(parsed)} --help' for the commands and options.");
            return ExitCodes.Usage;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (Exception e)
        {
            var (code, message) = Describe(e, cancellationToken);
            await error.WriteLineAsync("error: " + message);
            if (code == ExitCodes.Usage)
            {
                await error.WriteLineAsync($"usage: run '{CommandPath(parsed)} --help' for the commands and options.");
            }

            return code;
        }
    }

    internal static RootCommand Build(CliContext context)
    {
        var root = new RootCommand("orleansmq: administer an OrleansMq cluster (RocketMQ mqadmin-style). Exit codes: 0 ok, 1 failed, 2 usage, 3 unreachable.")
        {
            context.Gateway,
            context.ClusterId,
            context.Connection,
            context.Timeout,
            context.Json,
            ClusterCommands.Create(context),
            TopicCommands.Create(context),
            GroupCommands.Create(context),
            MessageCommands.Create(context),
            DeadLetterCommands.Create(context),
            TimerCommands.Create(context),
        };
        return root;
    }

    private static (int Code, string Message) Describe(Exception e, CancellationToken cancellationToken) => e switch
    {
        CliException c => (c.ExitCode, c.Message),
        OperationCanceledException when cancellationToken.IsCancellationRequested => (ExitCodes.Interrupted, "interrupted"),
        BrokerUnavailableException => (ExitCodes.Unreachable, e.Message),
        TopicNotFoundException or TopicExistsException or InvalidRequestException => (ExitCodes.Failed, e.Message),
        OrleansMqException => (ExitCodes.Failed, e.Message),
        ArgumentException a => (ExitCodes.Usage, a.ParamName is null ? a.Message : a.Message.Replace($" (Parameter '{a.ParamName}')", "", StringComparison.Ordinal)),
        TimeoutException => (ExitCodes.Unreachable, "the cluster did not answer in time: " + CliContext.FirstLine(e.Message)),
        OrleansException => (ExitCodes.Unreachable, "the cluster could not be reached: " + CliContext.FirstLine(e.Message)),
        _ => (ExitCodes.Failed, $"{e.GetType().Name}: {CliContext.FirstLine(e.Message)}"),
    };

    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (var command = parsed.CommandResult; command is not null; command = command.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(command.Command is RootCommand ? "orleansmq" : command.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
