using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Messages;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.TestKit;
using static OrleansMq.Process.Tests.Operations.OperationsHttp;

namespace OrleansMq.Process.Tests.Operations;

/// <summary><c>/metrics</c> (Prometheus text format), the health endpoints and the dashboard of a real broker process.</summary>
[Collection(OperationsCollection.Name)]
[Trait("Suite", "SlowBVT"), Trait("Area", "Operations")]
public sealed partial class MetricsAndHealthTests(OperationsSilo silo)
{
    [Fact]
    public async Task Metrics_ExportTrafficPerTopicLatencyDiskTimersAndConsumerLag()
    {
        var topic = Topics.Unique("metrics");
        var group = Topics.Unique("metrics-g");
        await silo.Client.Admin.CreateTopicAsync(topic, 2);
        await using (var producer = silo.Client.CreateProducer())
        {
            for (var i = 0; i < 20; i++)
            {
                await producer.SendAsync(new Message(topic, $"metric {i:D3}"));
            }

            await producer.SendAsync(new Message(topic, "later") { DelayLevel = 18 }); // 2 h: stays pending.
        }

        // A group that consumes 0 of the 20 until the test reads its lag, then all of them.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = silo.Client.CreatePushConsumer(new PushConsumerOptions { ConsumerGroup = group, ConsumeFrom = Grains.Consumers.ConsumeFromWhere.FirstOffset });
        consumer.Subscribe(topic);
        consumer.RegisterMessageListener(async (_, _, ct) =>
        {
            await gate.Task.WaitAsync(ct);
            return ConsumeConcurrentlyStatus.ConsumeSuccess;
        });
        await consumer.StartAsync(TestContext.Current.CancellationToken);

        var text = "";
        await Wait.UntilAsync(
            async () => Value(text = await ScrapeAsync(), "orleansmq_consumer_lag", ("group", group), ("topic", topic)) == 20,
            $"orleansmq_consumer_lag{{group=\"{group}\"}} to be 20",
            observed: () => string.Join(Environment.NewLine, text.Split('\n').Where(l => l.Contains("consumer_lag", StringComparison.Ordinal))));
        Assert.True(Value(text, "orleansmq_consumer_lag_latency_seconds", ("group", group), ("topic", topic)) > 0);

        gate.SetResult();
        await Wait.UntilAsync(
            async () => Value(text = await ScrapeAsync(), "orleansmq_consumer_lag", ("group", group), ("topic", topic)) == 0,
            $"orleansmq_consumer_lag{{group=\"{group}\"}} to fall to 0",
            observed: () => string.Join(Environment.NewLine, text.Split('\n').Where(l => l.Contains(group, StringComparison.Ordinal))));

        Assert.Equal(20, Value(text, "orleansmq_broker_messages_in_total", ("topic", topic)));
        Assert.True(Value(text, "orleansmq_broker_bytes_in_bytes_total", ("topic", topic)) > 20 * 9);
        Assert.True(Value(text, "orleansmq_broker_messages_out_total", ("topic", topic)) >= 20);
        Assert.True(Value(text, "orleansmq_broker_pull_latency_milliseconds_count") > 0);
        Assert.Contains("orleansmq_broker_pull_latency_milliseconds_bucket{", text, StringComparison.Ordinal);
        Assert.True(Value(text, "orleansmq_storage_append_latency_milliseconds_count") > 0);
        Assert.True(Value(text, "orleansmq_storage_flush_latency_milliseconds_count") > 0);
        Assert.True(Value(text, "orleansmq_broker_pending_timers") >= 1);
        Assert.True(Value(text, "orleansmq_broker_disk_free_bytes") > 0);
        Assert.Equal(256L * 1024 * 1024, Value(text, "orleansmq_broker_disk_min_free_bytes"));
        Assert.Equal(0, Value(text, "orleansmq_broker_disk_full"));
        Assert.Contains("# TYPE orleansmq_broker_messages_in_total counter", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_LiveReadyAndLegacyEndpointsReportTheBroker()
    {
        var (legacy, health) = await GetAsync(silo.Http, "/health");
        Assert.Equal(HttpStatusCode.OK, legacy);
        Assert.Equal("Active", health.GetProperty("status").GetString());
        Assert.Equal(silo.BrokerName, health.GetProperty("broker").GetString());

        var (live, liveness) = await GetAsync(silo.Http, "/health/live");
        Assert.Equal(HttpStatusCode.OK, live);
        Assert.Equal("Live", liveness.GetProperty("status").GetString());

        var (ready, readiness) = await GetAsync(silo.Http, "/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.True(readiness.GetProperty("ready").GetBoolean());
        var checks = readiness.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c);
        Assert.Equal(["silo", "store", "disk", "membership"], checks.Keys);
        Assert.All(checks.Values, c => Assert.True(c.GetProperty("ok").GetBoolean(), c.ToString()));
        Assert.Contains("sends are refused below 256.0 MiB", checks["disk"].GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_IsServed_AndDoesNotProfileTheQueueGrains()
    {
        var ct = TestContext.Current.CancellationToken;
        using var page = await silo.Http.GetAsync(new Uri("/dashboard/", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        // The dashboard profiles grain calls only while it is being watched: poll it as its page would.
        var topic = Topics.Unique("dashboard");
        await using var producer = silo.Client.CreateProducer();
        JsonElement stats = default;
        await Wait.UntilAsync(
            async () =>
            {
                await producer.SendAsync(new Message(topic, "profiled?"));
                await silo.Client.Admin.GetRouteAsync(topic);
                stats = (await GetAsync(silo.Http, "/dashboard/DashboardCounters")).Body;
                return Calls(stats, "OrleansMq.Grains.Routing.TopicRouteGrain") > 0 && Activations(stats, "OrleansMq.Grains.Queues.MessageQueueGrain") > 0;
            },
            "the dashboard to profile TopicRouteGrain calls",
            observed: () => stats.ToString());
        Assert.Equal(0, Calls(stats, "OrleansMq.Grains.Queues.MessageQueueGrain"));
    }

    private static long Calls(JsonElement counters, string grainType) =>
        counters.GetProperty("simpleGrainStats").EnumerateArray().Where(g => g.GetProperty("grainType").GetString() == grainType).Sum(g => g.GetProperty("totalCalls").GetInt64());

    private static long Activations(JsonElement counters, string grainType) =>
        counters.GetProperty("simpleGrainStats").EnumerateArray().Where(g => g.GetProperty("grainType").GetString() == grainType).Sum(g => g.GetProperty("activationCount").GetInt64());

    private async Task<string> ScrapeAsync()
    {
        using var response = await silo.Http.GetAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The value of the sample <paramref name="name"/> whose labels include <paramref name="labels"/>, or -1.</summary>
    private static double Value(string exposition, string name, params (string Label, string Value)[] labels)
    {
        foreach (Match line in Sample().Matches(exposition))
        {
            if (line.Groups["name"].Value != name)
            {
                continue;
            }

            var text = line.Groups["labels"].Value;
            if (labels.All(l => text.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                return double.Parse(line.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
