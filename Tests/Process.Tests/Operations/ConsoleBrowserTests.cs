using System.Collections.Concurrent;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Messages;
using OrleansMq.Grains;
using OrleansMq.Grains.Messages;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.Storage.Codec;
using OrleansMq.TestKit;
using OrleansMq.TestKit.Processes;

namespace OrleansMq.Process.Tests.Operations;

/// <summary>
/// The MQ console in a real headless Chromium (Debian's <c>chromium</c>, driven by <c>playwright-core</c> from
/// <c>Tests/Browser</c>): the page loads, a topic produced through the SDK appears, a group's lag falls after consuming,
/// a dead letter is resent from the page and consumed again, lookup by key shows markup as text, a topic is created and
/// grown with the forms, and API errors are shown. Screenshots go to the test output directory.
/// </summary>
[Collection(OperationsCollection.Name)]
[Trait("Suite", "SlowBVT"), Trait("Area", "Operations")]
public sealed class ConsoleBrowserTests(OperationsSilo silo)
{
    private const string Chromium = "/usr/bin/chromium";
    private const string XssBody = "<img src=x onerror=\"window.__orleansmqXss=1\"><script>window.__orleansmqXss=1</script>";

    [Fact]
    public async Task Console_InHeadlessChromium_ShowsTopicsLagDeadLettersAndLookups()
    {
        var browserDirectory = Repository.PathOf("Tests", "Browser");
        Assert.True(File.Exists(Chromium), $"Chromium is not installed at {Chromium}; install it with: apt-get install chromium (.ci/run does).");
        Assert.True(
            Directory.Exists(Path.Combine(browserDirectory, "node_modules", "playwright-core")),
            $"playwright-core is not installed in {browserDirectory}; run: (cd Tests/Browser && npm ci) (.ci/run does; no browser is downloaded).");

        var topic = Topics.Unique("ui");
        var group = Topics.Unique("ui-g");
        var xssKey = "xss-" + Guid.NewGuid().ToString("N")[..6];
        await silo.Client.Admin.CreateTopicAsync(topic, 2);
        await using var producer = silo.Client.CreateProducer();
        for (var i = 0; i < 19; i++)
        {
            await producer.SendAsync(new Message(topic, $"ui {i}"));
        }

        var xss = new Message(topic, XssBody);
        xss.Keys.Add(xssKey);
        await producer.SendAsync(xss);

        // One more message, also dead-lettered for the group straight away (a send-back with DeadLetter = true).
        var doomed = await producer.SendAsync(new Message(topic, "dead letter"));
        Assert.True(MessageId.TryParse(doomed.MessageId, out var doomedId));
        await silo.Client.ClusterClient.GetGrain<IBrokerGrain>(doomed.Queue.Broker).SendBackAsync(new SendBackRequest(group, doomedId.LogOffset, 0, DeadLetter: true));

        // The group's member holds everything until the page has shown the lag.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumed = new ConcurrentBag<string>();
        await using var consumer = silo.Client.CreatePushConsumer(new PushConsumerOptions { ConsumerGroup = group, ConsumeFrom = Grains.Consumers.ConsumeFromWhere.FirstOffset });
        consumer.Subscribe(topic);
        consumer.RegisterMessageListener(async (messages, _, ct) =>
        {
            await gate.Task.WaitAsync(ct);
            foreach (var m in messages)
            {
                consumed.Add(m.BodyAsString());
            }

            return ConsumeConcurrentlyStatus.ConsumeSuccess;
        });
        await consumer.StartAsync(TestContext.Current.CancellationToken);
        await Wait.UntilAsync(async () => (await silo.Client.Admin.GetGroupLagAsync(group)).Sum(q => q.Lag) == 21 && consumer.AssignedQueues.Count == 2, $"group {group} to hold both queues with a lag of 21");

        var screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots", "console-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture));
        TestContext.Current.TestOutputHelper?.WriteLine($"Screenshots: {screenshots}");
        await using var node = ChildProcess.Start("chromium-test", "node", [Path.Combine(browserDirectory, "console-test.js")], workingDirectory: browserDirectory, environment: new Dictionary<string, string?>
        {
            ["ORLEANSMQ_CONSOLE_URL"] = silo.BaseAddress.ToString().TrimEnd('/'),
            ["ORLEANSMQ_SCREENSHOTS"] = screenshots,
            ["ORLEANSMQ_TOPIC"] = topic,
            ["ORLEANSMQ_GROUP"] = group,
            ["ORLEANSMQ_EXPECTED_LAG"] = "21",
            ["ORLEANSMQ_XSS_KEY"] = xssKey,
            ["ORLEANSMQ_XSS_BODY"] = XssBody,
            ["ORLEANSMQ_CHROMIUM"] = Chromium,
        });
        try
        {
            await Wait.UntilAsync(() => node.OutputContains("STEP lag-visible") || node.HasExited, "the page to show the group's lag of 21", TimeSpan.FromSeconds(90), () => node.Tail(20));
            gate.SetResult();
            await node.WaitForExitAsync(TimeSpan.FromSeconds(150));
            Assert.True(node.ExitCode == 0 && node.OutputContains("PASS"), $"The browser test failed (exit code {node.ExitCode}):{Environment.NewLine}{node.Output}");

            // The resent dead letter went back to the topic and the group consumed it again.
            await Wait.UntilAsync(() => consumed.Count(b => b == "dead letter") == 2, "the resent dead letter to be consumed a second time", observed: () => $"{consumed.Count} consumed");
            var grown = await silo.Client.Admin.GetRouteAsync(topic + "-ui");
            Assert.Equal(5, grown?.Queues.Length);
        }
        finally
        {
            gate.TrySetResult();
            TestContext.Current.TestOutputHelper?.WriteLine(node.Output);
        }

        Assert.True(Directory.GetFiles(screenshots, "*.png").Length >= 10, $"Expected the screenshots in {screenshots}.");
    }
}
