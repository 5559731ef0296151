using System.Globalization;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Messages;
using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Routing;
using OrleansMq.Grains.Tests.Fixtures;
using OrleansMq.TestKit;

namespace OrleansMq.Grains.Tests.Cluster;

/// <summary>SQL92 filters end to end: evaluated by the brokers on pull and push, refused by the client and the brokers when malformed.</summary>
public sealed class SqlFilterTests(ThreeBrokerCluster fixture) : IClassFixture<ThreeBrokerCluster>
{
    private const int Count = 120;

    private static readonly string?[] Regions = ["eu", "us", "ap", null];

    /// <summary>What message <paramref name="i"/> carries; the tests compute expected sets from the same values.</summary>
    private static (string Tag, string? Region, string Price, bool Vip) Shape(int i) => (
        "Tag" + "ABC"[i % 3],
        Regions[i % 4],
        i % 7 == 0 ? "n/a" : (i * 1.5).ToString(CultureInfo.InvariantCulture),
        i % 2 == 0);

    private async Task<string> ProduceAsync(string prefix)
    {
        var topic = TestTopics.Unique(prefix);
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 6);
        Assert.Equal(3, route.Queues.Select(q => q.Broker).Distinct().Count());
        await using var producer = fixture.Client.CreateProducer();
        var sends = new List<Task<SendResult>>();
        for (var i = 0; i < Count; i++)
        {
            var (tag, region, price, vip) = Shape(i);
            var message = new Message(topic, $"m{i}") { Tag = tag };
            message.Properties["i"] = i.ToString(CultureInfo.InvariantCulture);
            message.Properties["price"] = price;
            message.Properties["vip"] = vip ? "true" : "FALSE";
            if (region is not null)
            {
                message.Properties["region"] = region;
            }

            sends.Add(producer.SendAsync(message));
        }

        var results = await Wait.ForAsync(Task.WhenAll(sends), $"{Count} sends to {topic}");
        Assert.All(results, r => Assert.Equal(SendStatus.Ok, r.Status));
        return topic;
    }

    private static HashSet<string> Expected(Func<int, bool> predicate) =>
        Enumerable.Range(0, Count).Where(predicate).Select(i => $"m{i}").ToHashSet();

    /// <summary>Pulls every queue of the topic from 0 to its max offset with the filter; returns the bodies.</summary>
    private async Task<List<string>> PullAllAsync(string topic, FilterExpression filter)
    {
        var consumer = fixture.Client.CreatePullConsumer();
        var bodies = new List<string>();
        foreach (var queue in await consumer.GetQueuesAsync(topic))
        {
            var max = (await consumer.GetOffsetsAsync(queue)).Max;
            long offset = 0;
            for (var pulls = 0; offset < max; pulls++)
            {
                Assert.True(pulls < 100, $"queue {queue} did not reach offset {max} in 100 pulls (at {offset})");
                var result = await consumer.PullAsync(queue, offset, maxMessages: 7, wait: TimeSpan.Zero, filter: filter);
                Assert.True(result.Status is PullStatus.Found or PullStatus.NoMatchedMessage, $"pull of {queue} at {offset}: {result.Status} {result.Error}");
                Assert.True(result.NextOffset > offset, $"pull of {queue} at {offset} did not advance ({result.Status})");
                bodies.AddRange(result.Messages.Select(m => m.BodyAsString()));
                offset = result.NextOffset;
            }
        }

        return bodies;
    }

    [Theory]
    [InlineData("region IN ('eu', 'ap') AND price BETWEEN 10 AND 100 AND vip = TRUE")]
    [InlineData("NOT (region = 'us') AND i >= 30")]
    [InlineData("region IS NULL OR price = 'n/a'")]
    [InlineData("TAGS = 'TagB' AND (i < 20 OR i > 100)")]
    [InlineData("i IN (0, 7, 50, 119, 500) OR vip <> TRUE AND region = 'us'")]
    public async Task PullAsync_SqlFilter_ReturnsExactlyTheMatchingMessages(string sql)
    {
        var topic = await ProduceAsync("sql-pull");
        var expected = Expected(sql switch
        {
            "region IN ('eu', 'ap') AND price BETWEEN 10 AND 100 AND vip = TRUE" =>
                i => Shape(i).Region is "eu" or "ap" && i % 7 != 0 && i * 1.5 is >= 10 and <= 100 && Shape(i).Vip,
            "NOT (region = 'us') AND i >= 30" => i => Shape(i).Region is { } r && r != "us" && i >= 30, // missing region: unknown
            "region IS NULL OR price = 'n/a'" => i => Shape(i).Region is null || i % 7 == 0,
            "TAGS = 'TagB' AND (i < 20 OR i > 100)" => i => i % 3 == 1 && (i < 20 || i > 100),
            _ => i => i is 0 or 7 or 50 or 119 || (!Shape(i).Vip && Shape(i).Region == "us"),
        });
        Assert.NotEmpty(expected);

        var pulled = await PullAllAsync(topic, FilterExpression.Sql(sql));

        Assert.Equal(pulled.Count, pulled.Distinct().Count());
        Assert.Equal(expected.Order(), pulled.Order());
    }

    [Fact]
    public async Task PullAsync_SqlOnTags_SameMessagesAsTheTagFilter()
    {
        var topic = await ProduceAsync("sql-tags");

        var bySql = await PullAllAsync(topic, FilterExpression.Sql("TAGS IN ('TagA', 'TagC')"));
        var byTags = await PullAllAsync(topic, FilterExpression.Tags("TagA || TagC"));

        Assert.Equal(Expected(i => i % 3 != 1).Order(), bySql.Order());
        Assert.Equal(byTags.Order(), bySql.Order());
    }

    [Fact]
    public async Task PushConsumer_SubscribedWithSql_ConsumesExactlyTheMatchingMessages()
    {
        const string sql = "vip = TRUE AND (region = 'eu' OR price > 150) AND NOT TAGS = 'TagC'";
        var topic = await ProduceAsync("sql-push");
        var expected = Expected(i => Shape(i).Vip && (Shape(i).Region == "eu" || (i % 7 != 0 && i * 1.5 > 150)) && i % 3 != 2);
        Assert.NotEmpty(expected);
        var group = TestTopics.Unique("sql-group");
        var collector = new MessageCollector();
        await using var consumer = fixture.Client.CreatePushConsumer(new PushConsumerOptions
        {
            ConsumerGroup = group,
            ConsumeFrom = ConsumeFromWhere.FirstOffset,
            CommitInterval = TimeSpan.FromMilliseconds(200),
            LongPollWait = TimeSpan.FromSeconds(2),
        });
        consumer.Subscribe(topic, FilterExpression.Sql(sql));
        consumer.RegisterMessageListener(collector.Listener("c1"));
        await consumer.StartAsync();

        // Committed offsets at every queue's max mean the consumer has pulled and consumed everything up to the end,
        // skipped messages included; only then is "nothing else arrived" meaningful.
        IReadOnlyList<QueueLag> lag = [];
        await Wait.UntilAsync(
            async () =>
            {
                lag = await fixture.Client.Admin.GetGroupLagAsync(group);
                return collector.Distinct >= expected.Count && lag.Count == 6 && lag.All(q => q.Lag == 0 && q.CommittedOffset == q.MaxOffset);
            },
            $"group {group} to consume the {expected.Count} matching messages of {topic} and commit every queue to its end",
            observed: () => $"{collector.Describe()}; lag {string.Join(", ", lag.Select(q => $"{q.QueueId}:{q.CommittedOffset}/{q.MaxOffset}"))}");

        Assert.Equal(expected.Order(), collector.Counts.Keys.Order());
        Assert.Equal(expected.Count, collector.Total);
    }

    [Fact]
    public async Task Subscribe_MalformedSql_RefusedBeforeAnythingIsSentWithThePosition()
    {
        await using var consumer = fixture.Client.CreatePushConsumer(new PushConsumerOptions { ConsumerGroup = TestTopics.Unique("sql-bad") });

        var error = Assert.Throws<ArgumentException>(() => consumer.Subscribe("any-topic", FilterExpression.Sql("region = 'eu' AND price >")));

        Assert.Equal("filter", error.ParamName);
        Assert.Contains("SQL92 filter 'region = 'eu' AND price >' is invalid at position 25: expected a value after '>'", error.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidRequestException>(error.InnerException);
        Assert.Contains("position 0", Assert.Throws<ArgumentException>(() => consumer.Subscribe("any-topic", "|| A")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullConsumer_MalformedSql_RefusedBeforeAnythingIsSent()
    {
        var options = new PullConsumerOptions { Filter = FilterExpression.Sql("price > 'x'") };
        var created = Assert.Throws<ArgumentException>(() => fixture.Client.CreatePullConsumer(options));
        Assert.Contains("at position 8: '>' compares numbers only", created.Message, StringComparison.Ordinal);

        var consumer = fixture.Client.CreatePullConsumer();
        var queue = new MessageQueue("never-created-topic", "no-such-broker", 0);
        var pulled = await Assert.ThrowsAsync<ArgumentException>(() => consumer.PullAsync(queue, 0, filter: FilterExpression.Sql("a IN ()")));
        Assert.Contains("at position 6: the IN list is empty", pulled.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueueGrain_MalformedSqlSentRaw_RefusedByTheBroker()
    {
        var topic = TestTopics.Unique("sql-raw");
        var route = await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var queue = route.Queues[0];
        var grain = fixture.Cluster.Client.GetGrain<IMessageQueueGrain>(new QueueKey(queue.Broker, topic, queue.QueueId).ToString());

        var error = await Assert.ThrowsAsync<InvalidRequestException>(() =>
            grain.PullAsync(new PullRequest(0, 10, 1 << 20, FilterExpression.Sql("a BETWEEN 'x' AND 2"), TimeSpan.Zero)));

        Assert.Contains("SQL92 filter 'a BETWEEN 'x' AND 2' is invalid at position 10: BETWEEN compares numbers only", error.Message, StringComparison.Ordinal);

        // The queue still serves well-formed filters afterwards.
        var ok = await grain.PullAsync(new PullRequest(0, 10, 1 << 20, FilterExpression.Sql("a BETWEEN 1 AND 2"), TimeSpan.Zero));
        Assert.Equal(PullStatus.NoNewMessage, ok.Status);
    }

    [Fact]
    public async Task ConsumerGroupGrain_MalformedSqlSubscriptionSentRaw_RefusedByTheBroker()
    {
        var topic = TestTopics.Unique("sql-raw-group");
        await fixture.Client.Admin.CreateTopicAsync(topic, 1);
        var group = fixture.Cluster.Client.GetGrain<IConsumerGroupGrain>(TestTopics.Unique("sql-raw-group"));
        var registration = new MemberRegistration(
            "raw-client", [new Subscription(topic, FilterExpression.Sql("region = 'eu' OR OR"))], ConsumeMode.Clustering, AllocationStrategy.Averagely, null);

        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => group.RegisterAsync(registration));

        Assert.Contains("is invalid at position 17: expected a value at the start of a condition but found 'OR'", error.Message, StringComparison.Ordinal);
    }
}
