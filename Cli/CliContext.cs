using System.CommandLine;
using System.Globalization;
using OrleansMq.Cli.Output;
using OrleansMq.Client.Hosting;

namespace OrleansMq.Cli;

/// <summary>
/// What every command shares: the global options (connection, <c>--json</c>), the output streams and the environment
/// (<c>ORLEANSMQ_GATEWAYS</c>, <c>ORLEANSMQ_CLUSTER_ID</c>, <c>ORLEANSMQ_CONNECTION</c>, <c>ORLEANSMQ_TIMEOUT</c>).
/// Command-line options win over the environment.
/// </summary>
internal sealed class CliContext(TextWriter output, TextWriter error, bool interactive, Func<string, string?> environment)
{
    public const string GatewaysVariable = "ORLEANSMQ_GATEWAYS";
    public const string ClusterIdVariable = "ORLEANSMQ_CLUSTER_ID";
    public const string ConnectionVariable = "ORLEANSMQ_CONNECTION";
    public const string TimeoutVariable = "ORLEANSMQ_TIMEOUT";

    public Option<string[]> Gateway { get; } = new("--gateway", "-g")
    {
        Description = $"Gateway host:port of a broker (repeatable; default 127.0.0.1:30000; env {GatewaysVariable}, comma-separated)",
        Recursive = true,
        HelpName = "host:port",
    };

    public Option<string?> ClusterId { get; } = new("--cluster-id")
    {
        Description = $"Cluster id of the brokers (default orleansmq; env {ClusterIdVariable})",
        Recursive = true,
    };

    public Option<string?> Connection { get; } = new("--connection")
    {
        Description = $"PostgreSQL connection string of a cluster: discover the gateways there instead of --gateway (env {ConnectionVariable})",
        Recursive = true,
    };

    public Option<double?> Timeout { get; } = new("--timeout")
    {
        Description = $"Seconds to wait for the cluster when connecting and per call (default 10; env {TimeoutVariable})",
        Recursive = true,
        HelpName = "seconds",
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write one JSON document to stdout instead of tables",
        Recursive = true,
    };

    public TextWriter Out { get; } = output;

    public TextWriter Error { get; } = error;

    public static DateTimeOffset Now => DateTimeOffset.UtcNow;

    public bool IsJson(ParseResult result) => result.GetValue(Json);

    /// <summary>Writes <paramref name="value"/> as JSON, or calls <paramref name="human"/> to write tables.</summary>
    public void Write(ParseResult result, object value, Action<TextWriter> human)
    {
        if (IsJson(result))
        {
            JsonOutput.Write(Out, value);
        }
        else
        {
            human(Out);
        }
    }

    public ProgressBar Progress(ParseResult result, string label, long total) => new(Error, label, total, interactive && total > 1);

    /// <summary>Makes <paramref name="command"/> connect, run <paramref name="body"/> and disconnect.</summary>
    public Command Runs(Command command, Func<ParseResult, MqClient, CancellationToken, Task> body)
    {
        command.SetAction(async (result, cancellationToken) =>
        {
            await using var client = await ConnectAsync(result, cancellationToken);
            await body(result, client, cancellationToken);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Connects to the cluster the options and environment describe.</summary>
    /// <exception cref="CliException">Bad connection options (usage), or no gateway answered in time (unreachable).</exception>
    public async Task<MqClient> ConnectAsync(ParseResult result, CancellationToken cancellationToken)
    {
        var timeout = TimeoutOf(result);
        var connection = result.GetValue(Connection) ?? environment(ConnectionVariable);
        var gateways = result.GetValue(Gateway) is { Length: > 0 } given
            ? given
            : environment(GatewaysVariable)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var options = new MqClientOptions
        {
            ClusterId = result.GetValue(ClusterId) ?? environment(ClusterIdVariable) ?? "orleansmq",
            ConnectionString = string.IsNullOrWhiteSpace(connection) ? null : connection,
            ConnectTimeout = timeout,
            ResponseTimeout = timeout < TimeSpan.FromSeconds(10) ? TimeSpan.FromSeconds(10) : timeout,
        };
        if (gateways is { Length: > 0 })
        {
            options.Gateways = [.. gateways];
        }

        if (options.Validate() is { Count: > 0 } errors)
        {
            throw CliException.Usage(string.Join(" ", errors).Replace("MqClientOptions.Gateways", "--gateway", StringComparison.Ordinal)
                .Replace("MqClientOptions.ConnectionString", "--connection", StringComparison.Ordinal)
                .Replace("MqClientOptions.ClusterId", "--cluster-id", StringComparison.Ordinal));
        }

        var where = options.ConnectionString is null ? "gateway " + string.Join(", ", options.Gateways) : "the cluster database given by --connection";
        try
        {
            return await MqClient.ConnectAsync(options, cancellationToken: cancellationToken).WaitAsync(timeout + TimeSpan.FromSeconds(5), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Unreachable, $"cannot reach the cluster at {where} within {timeout.TotalSeconds:0.#} s: {FirstLine(e.Message)}", e);
        }
    }

    private TimeSpan TimeoutOf(ParseResult result)
    {
        var seconds = result.GetValue(Timeout);
        if (seconds is null && environment(TimeoutVariable) is { } text)
        {
            seconds = double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw CliException.Usage($"{TimeoutVariable} is '{text}'; give seconds, e.g. 10.");
        }

        return seconds switch
        {
            null => TimeSpan.FromSeconds(10),
            >= 1 and <= 600 => TimeSpan.FromSeconds(seconds.Value),
            _ => throw CliException.Usage($"--timeout is {seconds}; give 1 to 600 seconds."),
        };
    }

    internal static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
