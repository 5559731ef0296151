using System.Net;
using System.Text.Json;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Messages;
using OrleansMq.Grains;
using OrleansMq.Grains.Messages;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.Storage.Codec;
using OrleansMq.TestKit;
using static OrleansMq.Process.Tests.Operations.OperationsHttp;

namespace OrleansMq.Process.Tests.Operations;

/// <summary>The console's JSON API against a real broker process.</summary>
[Collection(OperationsCollection.Name)]
[Trait("Suite", "SlowBVT"), Trait("Area", "Operations")]
public sealed class ConsoleApiTests(OperationsSilo silo)
{
    private HttpClient Http => silo.Http;

    [Fact]
    public async Task Cluster_ListsTheBrokerWithDiskWatermarkAndRates()
    {
        var topic = Topics.Unique("api-cluster");
        await using var producer = silo.Client.CreateProducer();
        JsonElement broker = default;
        await Wait.UntilAsync(
            async () =>
            {
                await producer.SendAsync(new Message(topic, "tick"));
                var (status, body) = await GetAsync(Http, "/api/cluster");
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal(silo.BrokerName, body.GetProperty("servedBy").GetString());
                broker = body.GetProperty("brokers").EnumerateArray().FirstOrDefault(b => b.GetProperty("name").GetString() == silo.BrokerName);
                return broker.ValueKind == JsonValueKind.Object && broker.GetProperty("rates").ValueKind == JsonValueKind.Object
                    && broker.GetProperty("rates").GetProperty("messagesIn").GetDouble() > 0;
            },
            "the console to report a rate of messages in",
            observed: () => broker.ToString());

        Assert.True(broker.GetProperty("alive").GetBoolean());
        var stats = broker.GetProperty("stats");
        Assert.True(stats.GetProperty("diskTotalBytes").GetInt64() > stats.GetProperty("diskFreeBytes").GetInt64());
        Assert.Equal(256L * 1024 * 1024, stats.GetProperty("minFreeDiskBytes").GetInt64());
        Assert.False(stats.GetProperty("diskFull").GetBoolean());
    }

    [Fact]
    public async Task Topics_CreateGrowDescribe_AndErrorsAreJson()
    {
        var topic = Topics.Unique("api-topic");
        var (created, route) = await SendAsync(Http, HttpMethod.Post, "/api/topics", new { name = topic, queueCount = 2, permission = "ReadWrite" });
        Assert.Equal(HttpStatusCode.OK, created);
        Assert.Equal(2, route.GetProperty("queues").GetArrayLength());

        var (again, error) = await SendAsync(Http, HttpMethod.Post, "/api/topics", new { name = topic, queueCount = 2 });
        Assert.Equal(HttpStatusCode.Conflict, again);
        Assert.Contains("already exists", error.GetProperty("error").GetString(), StringComparison.Ordinal);

        var (grown, _) = await SendAsync(Http, HttpMethod.Put, "/api/topics", new { name = topic, queueCount = 3 });
        Assert.Equal(HttpStatusCode.OK, grown);
        var (shrink, shrinkError) = await SendAsync(Http, HttpMethod.Put, "/api/topics", new { name = topic, queueCount = 1 });
        Assert.Equal(HttpStatusCode.BadRequest, shrink);
        Assert.False(string.IsNullOrEmpty(shrinkError.GetProperty("error").GetString()));

        await using (var producer = silo.Client.CreateProducer())
        {
            for (var i = 0; i < 6; i++)
            {
                await producer.SendAsync(new Message(topic, $"m{i}"));
            }
        }

        var (ok, detail) = await GetAsync(Http, "/api/topic?name=" + Uri.EscapeDataString(topic));
        Assert.Equal(HttpStatusCode.OK, ok);
        var queues = detail.GetProperty("queues").EnumerateArray().ToArray();
        Assert.Equal(3, queues.Length);
        Assert.All(queues, q => Assert.Equal(silo.BrokerName, q.GetProperty("broker").GetString()));
        Assert.Equal(6, queues.Sum(q => q.GetProperty("messages").GetInt64()));

        var (list, topics) = await GetAsync(Http, "/api/topics");
        Assert.Equal(HttpStatusCode.OK, list);
        Assert.Contains(topics.GetProperty("topics").EnumerateArray(), t => t.GetProperty("name").GetString() == topic && t.GetProperty("queueCount").GetInt32() == 3);

        var (missing, notFound) = await GetAsync(Http, "/api/topic?name=no-such-topic-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Contains("does not exist", notFound.GetProperty("error").GetString(), StringComparison.Ordinal);

        var (bad, badError) = await SendAsync(Http, HttpMethod.Post, "/api/topics", new { name = Topics.Unique("api-bad"), queueCount = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Contains("QueueCount", badError.GetProperty("error").GetString(), StringComparison.Ordinal);

        var (text, textError) = await PostTextAsync(Http, "/api/topics", "name=x");
        Assert.Equal(HttpStatusCode.BadRequest, text);
        Assert.Contains("JSON", textError.GetProperty("error").GetString(), StringComparison.Ordinal);

        var (crossSite, crossSiteError) = await SendAsync(Http, HttpMethod.Post, "/api/topics", new { name = Topics.Unique("api-csrf"), queueCount = 1 }, origin: "http://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, crossSite);
        Assert.Contains("Cross-origin", crossSiteError.GetProperty("error").GetString(), StringComparison.Ordinal);

        var (unknown, unknownError) = await GetAsync(Http, "/api/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.False(string.IsNullOrEmpty(unknownError.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Groups_ShowMembersLagPerQueueAndHistory()
    {
        var topic = Topics.Unique("api-group");
        var group = Topics.Unique("api-g");
        await silo.Client.Admin.CreateTopicAsync(topic, 2);
        await using (var producer = silo.Client.CreateProducer())
        {
            for (var i = 0; i < 10; i++)
            {
                await producer.SendAsync(new Message(topic, $"g{i}"));
            }
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var consumer = silo.Client.CreatePushConsumer(new PushConsumerOptions { ConsumerGroup = group, ConsumeFrom = Grains.Consumers.ConsumeFromWhere.FirstOffset });
        consumer.Subscribe(topic);
        consumer.RegisterMessageListener(async (_, _, ct) =>
        {
            await gate.Task.WaitAsync(ct);
            return ConsumeConcurrentlyStatus.ConsumeSuccess;
        });
        await consumer.StartAsync(TestContext.Current.CancellationToken);

        JsonElement detail = default;
        await Wait.UntilAsync(
            async () => (detail = (await GetAsync(Http, "/api/group?name=" + Uri.EscapeDataString(group))).Body).TryGetProperty("totalLag", out var lag) && lag.GetInt64() == 10,
            $"group {group} to show a lag of 10",
            observed: () => detail.ToString());
        Assert.Equal("Clustering", detail.GetProperty("mode").GetString());
        var member = Assert.Single(detail.GetProperty("members").EnumerateArray());
        Assert.Equal(2, member.GetProperty("queues").GetArrayLength());
        Assert.Equal(2, detail.GetProperty("lag").EnumerateArray().Count(l => l.GetProperty("topic").GetString() == topic));

        gate.SetResult();
        await Wait.UntilAsync(
            async () =>
            {
                detail = (await GetAsync(Http, "/api/group?name=" + Uri.EscapeDataString(group))).Body;
                return detail.GetProperty("totalLag").GetInt64() == 0
                    && detail.GetProperty("history").EnumerateArray().Any(p => p.GetProperty("lag").GetInt64() == 10)
                    && detail.GetProperty("history").EnumerateArray().Last().GetProperty("lag").GetInt64() == 0;
            },
            $"group {group} to catch up, with the lag history showing 10 then 0",
            observed: () => detail.ToString());

        var (_, groups) = await GetAsync(Http, "/api/groups");
        Assert.Contains(groups.GetProperty("groups").EnumerateArray(), g => g.GetProperty("name").GetString() == group && g.GetProperty("members").GetInt32() == 1);
    }

    [Fact]
    public async Task Messages_FoundByIdKeyUniqueKeyAndTime_WithTextAndHexPreviews()
    {
        var topic = Topics.Unique("api-msg");
        var key = "order-" + Guid.NewGuid().ToString("N")[..6];
        await using var producer = silo.Client.CreateProducer();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var text = new Message(topic, "héllo wörld") { Tag = "t1" };
        text.Keys.Add(key);
        text.Properties["region"] = "eu";
        var sent = await producer.SendAsync(text);
        var binary = await producer.SendAsync(new Message(topic, new byte[] { 0, 1, 2, 0xff }));

        var (_, byId) = await GetAsync(Http, "/api/messages?id=" + sent.MessageId);
        var found = Assert.Single(byId.GetProperty("messages").EnumerateArray());
        Assert.Equal("text", found.GetProperty("bodyEncoding").GetString());
        Assert.Equal("héllo wörld", found.GetProperty("body").GetString());
        Assert.Equal("t1", found.GetProperty("tag").GetString());
        Assert.Equal("eu", found.GetProperty("properties").GetProperty("region").GetString());

        var (_, byKey) = await GetAsync(Http, $"/api/messages?topic={topic}&key={key}");
        Assert.Equal(sent.MessageId, Assert.Single(byKey.GetProperty("messages").EnumerateArray()).GetProperty("id").GetString());

        var (_, byUnique) = await GetAsync(Http, $"/api/messages?topic={topic}&uniqueKey={sent.UniqueKey}");
        Assert.Equal(sent.MessageId, Assert.Single(byUnique.GetProperty("messages").EnumerateArray()).GetProperty("id").GetString());

        var (_, byTime) = await GetAsync(Http, $"/api/messages?topic={topic}&begin={Uri.EscapeDataString(before.ToString("O"))}&end={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddSeconds(5).ToString("O"))}");
        var inRange = byTime.GetProperty("messages").EnumerateArray().ToArray();
        Assert.Equal(2, inRange.Length);
        var hex = inRange.Single(m => m.GetProperty("id").GetString() == binary.MessageId);
        Assert.Equal("hex", hex.GetProperty("bodyEncoding").GetString());
        Assert.Equal("000102ff", hex.GetProperty("body").GetString());

        var (status, error) = await GetAsync(Http, "/api/messages?id=not-an-id");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not a message id", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        var (noTopic, noTopicError) = await GetAsync(Http, "/api/messages?key=x");
        Assert.Equal(HttpStatusCode.BadRequest, noTopic);
        Assert.Contains("topic", noTopicError.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeadLetters_AreListedAndResentToTheirTopic()
    {
        var topic = Topics.Unique("api-dlq");
        var group = Topics.Unique("api-dlq-g");
        await using var producer = silo.Client.CreateProducer();
        var sent = await producer.SendAsync(new Message(topic, "dead on arrival"));
        Assert.True(MessageId.TryParse(sent.MessageId, out var id));
        await silo.Client.ClusterClient.GetGrain<IBrokerGrain>(sent.Queue.Broker).SendBackAsync(new SendBackRequest(group, id.LogOffset, 0, DeadLetter: true));

        var (_, empty) = await GetAsync(Http, "/api/dlq?group=" + Topics.Unique("api-none"));
        Assert.False(empty.GetProperty("exists").GetBoolean());

        var (ok, listed) = await GetAsync(Http, "/api/dlq?group=" + Uri.EscapeDataString(group));
        Assert.Equal(HttpStatusCode.OK, ok);
        var dead = Assert.Single(listed.GetProperty("messages").EnumerateArray());
        Assert.Equal("%DLQ%" + group, dead.GetProperty("storedTopic").GetString());
        Assert.Equal(sent.MessageId, dead.GetProperty("originMessageId").GetString());

        var (resent, result) = await SendAsync(Http, HttpMethod.Post, "/api/dlq/resend", new { messageId = dead.GetProperty("id").GetString() });
        Assert.Equal(HttpStatusCode.OK, resent);
        Assert.Equal(topic, result.GetProperty("topic").GetString());
        var copy = await silo.Client.Admin.FindMessageByIdAsync(result.GetProperty("messageId").GetString()!);
        Assert.NotNull(copy);
        Assert.Equal("dead on arrival", copy.BodyAsString());
        Assert.Equal(topic, copy.StoredTopic);

        var (notDead, notDeadError) = await SendAsync(Http, HttpMethod.Post, "/api/dlq/resend", new { messageId = sent.MessageId });
        Assert.Equal(HttpStatusCode.BadRequest, notDead);
        Assert.Contains("dead-lettered", notDeadError.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_IsServedFromTheAssemblyWithSecurityHeaders()
    {
        var ct = TestContext.Current.CancellationToken;
        using var root = await Http.GetAsync(new Uri("/", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/console/", root.Headers.Location?.OriginalString);

        using var bare = await Http.GetAsync(new Uri("/console", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);

        using var page = await Http.GetAsync(new Uri("/console/", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        var html = await page.Content.ReadAsStringAsync(ct);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);

        foreach (var (file, type) in new[] { ("console.js", "text/javascript"), ("console.css", "text/css") })
        {
            using var asset = await Http.GetAsync(new Uri("/console/" + file, UriKind.Relative), ct);
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.Equal(type, asset.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain("innerHTML", await asset.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        using var missing = await Http.GetAsync(new Uri("/console/secrets.txt", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
