using System.Text.Json;
using OrleansMq.Cli;
using OrleansMq.Client.Messages;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.TestKit.Processes;

namespace OrleansMq.Process.Tests.Operations;

/// <summary>The <c>orleansmq</c> CLI against a real broker: in-process through its entry point, and once as its own process.</summary>
[Collection(OperationsCollection.Name)]
[Trait("Suite", "SlowBVT"), Trait("Area", "Operations")]
public sealed class CliTests(OperationsSilo silo)
{
    [Fact]
    public async Task Topics_CreateListDescribeUpdateDelete()
    {
        var topic = Topics.Unique("cli-topic");
        var created = await RunAsync("topic", "create", topic, "--queues", "3");
        created.Succeeded();
        Assert.Contains($"Topic {topic} created: 3 queues on {silo.BrokerName}", created.Out, StringComparison.Ordinal);

        var list = await RunAsync("topic", "list", "--json");
        list.Succeeded();
        Assert.Contains(list.Json.GetProperty("topics").EnumerateArray(), t => t.GetProperty("name").GetString() == topic && t.GetProperty("queueCount").GetInt32() == 3);

        var table = await RunAsync("topic", "list");
        Assert.Contains("TOPIC", table.Out, StringComparison.Ordinal);
        Assert.Contains(topic, table.Out, StringComparison.Ordinal);

        (await RunAsync("topic", "update", topic, "--queues", "4")).Succeeded();
        var describe = await RunAsync("topic", "describe", topic, "--json");
        describe.Succeeded();
        Assert.Equal(4, describe.Json.GetProperty("queues").GetArrayLength());
        Assert.Equal("ReadWrite", describe.Json.GetProperty("permission").GetString());

        var duplicate = await RunAsync("topic", "create", topic);
        duplicate.Failed(ExitCodes.Failed, "already exists");

        (await RunAsync("topic", "delete", topic)).Succeeded();
        (await RunAsync("topic", "describe", topic)).Failed(ExitCodes.Failed, $"error: Topic '{topic}' does not exist.");
        (await RunAsync("topic", "delete", topic)).Failed(ExitCodes.Failed, "does not exist");
    }

    [Fact]
    public async Task SendConsumeInAGroup_ThenGroupDescribeLagAndQueries()
    {
        var topic = Topics.Unique("cli-msg");
        var group = Topics.Unique("cli-g");
        (await RunAsync("topic", "create", topic, "--queues", "2")).Succeeded();

        var sent = await RunAsync("message", "send", "-t", topic, "-n", "12", "--body", "cli {n}", "--tag", "cli", "-k", "cli-key", "--json");
        sent.Succeeded();
        Assert.Equal(12, sent.Json.GetProperty("sent").GetInt32());
        var firstId = sent.Json.GetProperty("messages")[0].GetProperty("id").GetString()!;

        var consumed = await RunAsync("message", "consume", "-t", topic, "--group", group, "-n", "5", "--json");
        consumed.Succeeded();
        Assert.Equal(5, consumed.Json.GetProperty("consumed").GetInt32());

        var lag = await RunAsync("group", "lag", group, "--json");
        lag.Succeeded();
        Assert.Equal(7, lag.Json.GetProperty("totalLag").GetInt64());
        var lagTable = await RunAsync("group", "lag", group);
        Assert.Contains("Total lag: 7", lagTable.Out, StringComparison.Ordinal);

        var describe = await RunAsync("group", "describe", group, "--json");
        describe.Succeeded();
        Assert.Equal(group, describe.Json.GetProperty("group").GetString());
        Assert.Contains((await RunAsync("group", "list", "--json")).Json.GetProperty("groups").EnumerateArray(), g => g.GetProperty("name").GetString() == group);

        var byId = await RunAsync("message", "query", "--id", firstId, "--json");
        byId.Succeeded();
        var message = Assert.Single(byId.Json.GetProperty("messages").EnumerateArray());
        Assert.Equal("cli 1", message.GetProperty("body").GetString());
        Assert.Equal("cli", message.GetProperty("tag").GetString());

        var byKey = await RunAsync("message", "query", "--topic", topic, "--key", "cli-key", "--max", "50", "--json");
        Assert.Equal(12, byKey.Json.GetProperty("messages").GetArrayLength());
        var byTime = await RunAsync("message", "query", "--topic", topic, "--time", "10m", "--max", "5", "--body");
        byTime.Succeeded();
        Assert.Contains("cli ", byTime.Out, StringComparison.Ordinal);

        var reset = await RunAsync("group", "reset-offsets", group, "--topic", topic, "--to-time", "1h", "--json");
        reset.Succeeded();
        Assert.All(reset.Json.GetProperty("offsets").EnumerateArray(), o => Assert.Equal(0, o.GetProperty("offset").GetInt64()));
        Assert.Equal(12, (await RunAsync("group", "lag", group, "--json")).Json.GetProperty("totalLag").GetInt64());

        var dlq = await RunAsync("dlq", "list", "--group", group, "--json");
        dlq.Succeeded();
        Assert.Equal(0, dlq.Json.GetProperty("messages").GetArrayLength());

        var status = await RunAsync("cluster", "status", "--json");
        status.Succeeded();
        var broker = Assert.Single(status.Json.GetProperty("brokers").EnumerateArray());
        Assert.True(broker.GetProperty("alive").GetBoolean());
        Assert.True(broker.GetProperty("stats").GetProperty("messagesIn").GetInt64() >= 12);
    }

    [Fact]
    public async Task TimerCancel_CancelsAPendingDelayMessage()
    {
        var topic = Topics.Unique("cli-timer");
        await using var producer = silo.Client.CreateProducer();
        var sent = await producer.SendAsync(new Message(topic, "never") { DelayLevel = 18 });
        (await RunAsync("timer", "cancel", sent.MessageId)).Succeeded();
        (await RunAsync("timer", "cancel", sent.MessageId)).Failed(ExitCodes.Failed, "not a pending");
    }

    [Fact]
    public async Task BadInput_ExitsWithUsageErrors()
    {
        (await RunAsync()).Failed(ExitCodes.Usage, "Required command was not provided");
        (await RunAsync("topic", "frobnicate")).Failed(ExitCodes.Usage, "usage: run 'orleansmq topic --help'");
        (await RunAsync("topic", "create")).Failed(ExitCodes.Usage, "topic");
        (await RunAsync("topic", "create", "x", "--queues", "many")).Failed(ExitCodes.Usage, "many");
        (await RunAsync("message", "query", "--topic", "t")).Failed(ExitCodes.Usage, "exactly one of --id, --key, --unique-key or --time");
        (await RunAsync("message", "query", "--topic", "t", "--time", "yesterday-ish")).Failed(ExitCodes.Usage, "--time 'yesterday-ish' is not a time");
        (await RunAsync("message", "query", "--id", "zz")).Failed(ExitCodes.Usage, "'zz' is not a message id");
        (await RunAsync("group", "reset-offsets", "g", "--topic", "t")).Failed(ExitCodes.Usage, "--to-time");
        (await RunAsync("topic", "list", "--gateway", "not-an-endpoint")).Failed(ExitCodes.Usage, "--gateway has 'not-an-endpoint'");

        var help = await RunAsync("--help");
        Assert.Equal(ExitCodes.Ok, help.ExitCode);
        Assert.Contains("topic", help.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableBroker_ExitsWithCodeThreeAndOneLine()
    {
        var port = FreePorts.Next();
        var result = await CliApp.RunAsync(["topic", "list", "--timeout", "1"], new StringWriter(), Err(out var error), environment: Environment(gateway: $"127.0.0.1:{port}"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(ExitCodes.Unreachable, result);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: cannot reach the cluster at gateway 127.0.0.1:{port} within 1 s", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AsAProcess_WritesJsonToStdoutAndReturnsExitCodes()
    {
        var topic = Topics.Unique("cli-proc");
        await silo.Client.Admin.CreateTopicAsync(topic, 1);
        var environment = new Dictionary<string, string?> { ["ORLEANSMQ_GATEWAYS"] = silo.Gateway, ["ORLEANSMQ_CLUSTER_ID"] = silo.ClusterId };
        var output = await ChildProcess.RunAsync("orleansmq", "dotnet", [Repository.CliAssembly, "topic", "describe", topic, "--json"], TimeSpan.FromSeconds(60), environment: environment);
        Assert.Equal(topic, JsonDocument.Parse(output).RootElement.GetProperty("name").GetString());

        await using var missing = ChildProcess.Start("orleansmq", "dotnet", [Repository.CliAssembly, "topic", "describe", topic + "-missing"], environment: environment);
        await missing.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(ExitCodes.Failed, missing.ExitCode);
        Assert.Contains("does not exist", missing.RawOutput, StringComparison.Ordinal);
    }

    private Func<string, string?> Environment(string? gateway = null) => name => name switch
    {
        CliContext.GatewaysVariable => gateway ?? silo.Gateway,
        CliContext.ClusterIdVariable => silo.ClusterId,
        _ => null,
    };

    private static StringWriter Err(out StringWriter error) => error = new StringWriter();

    private async Task<CliResult> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error, environment: Environment(), cancellationToken: TestContext.Current.CancellationToken);
        return new CliResult(string.Join(' ', args), code, output.ToString(), error.ToString());
    }

    private sealed record CliResult(string Command, int ExitCode, string Out, string Error)
    {
        public JsonElement Json => JsonDocument.Parse(Out).RootElement;

        public void Succeeded() => Assert.True(ExitCode == ExitCodes.Ok, $"orleansmq {Command} exited with {ExitCode}: {Error}{Out}");

        public void Failed(int exitCode, string message)
        {
            Assert.True(ExitCode == exitCode, $"orleansmq {Command} exited with {ExitCode}, expected {exitCode}: {Error}{Out}");
            Assert.Contains(message, Error, StringComparison.Ordinal);
        }
    }
}
