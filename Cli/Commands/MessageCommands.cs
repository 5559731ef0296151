using System.CommandLine;
using System.Globalization;
using OrleansMq.Cli.Output;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Hosting;
using OrleansMq.Client.Messages;
using OrleansMq.Grains.Consumers;
using OrleansMq.Grains.Messages;

namespace OrleansMq.Cli.Commands;

/// <summary><c>message query|send|consume</c> (mqadmin queryMsgById/ByKey/ByUniqueKey, printMsg by time, sendMessage, consumeMessage).</summary>
internal static class MessageCommands
{
    private const int MaxCount = 1_000_000;

    public static Command Create(CliContext context) =>
        new("message", "Messages: find them, send some, consume some (quick checks)") { Query(context), Send(context), Consume(context) };

    private static Command Query(CliContext context)
    {
        var id = new Option<string?>("--id") { Description = "Broker-assigned message id (32 hex digits)" };
        var key = new Option<string?>("--key") { Description = "Business key (with --topic)" };
        var uniqueKey = new Option<string?>("--unique-key") { Description = "Client unique key (with --topic)" };
        var time = new Option<string?>("--time") { Description = "Stored at or after this time (with --topic): " + TimeArgument.Help, HelpName = "time" };
        var end = new Option<string?>("--end") { Description = "With --time or --key: stored at or before this time (default now)", HelpName = "time" };
        var topic = new Option<string?>("--topic", "-t") { Description = "Topic" };
        var max = new Option<int>("--max") { Description = "Most messages to show (1-1024)", DefaultValueFactory = _ => 32 };
        var body = new Option<bool>("--body") { Description = "Show a body preview column" };
        var command = new Command("query", "Find messages by --id, --key, --unique-key or --time") { id, key, uniqueKey, time, end, topic, max, body };
        return context.Runs(command, async (result, client, ct) =>
        {
            var given = new[] { result.GetValue(id), result.GetValue(key), result.GetValue(uniqueKey), result.GetValue(time) }.Count(v => v is not null);
            if (given != 1)
            {
                throw CliException.Usage("message query needs exactly one of --id, --key, --unique-key or --time.");
            }

            var limit = result.GetValue(max);
            if (limit is < 1 or > Client.Admin.MqAdmin.MaxQueryResults)
            {
                throw CliException.Usage($"--max is {limit}; give 1 to {Client.Admin.MqAdmin.MaxQueryResults}.");
            }

            var now = CliContext.Now;
            var until = result.GetValue(end) is { } e ? TimeArgument.Parse(e, "--end", now) : (DateTimeOffset?)null;
            IReadOnlyList<ReceivedMessage> found;
            if (result.GetValue(id) is { } messageId)
            {
                found = await client.Admin.FindMessageByIdAsync(messageId) is { } m ? [m] : [];
            }
            else
            {
                var name = result.GetValue(topic) ?? throw CliException.Usage("--key, --unique-key and --time need --topic.");
                found = result.GetValue(key) is { } k ? await client.Admin.FindMessagesByKeyAsync(name, k, limit, null, until)
                    : result.GetValue(uniqueKey) is { } u ? await client.Admin.FindMessagesByUniqueKeyAsync(name, u)
                    : await client.Admin.FindMessagesByTimeAsync(name, TimeArgument.Parse(result.GetValue(time)!, "--time", now), until ?? now, limit);
            }

            if (found.Count == 0 && result.GetValue(id) is { } missing)
            {
                throw CliException.Failed($"No message with id {missing} is stored (deleted by retention, or its broker is down).");
            }

            context.Write(result, new { Messages = found.Select(MessageOutput.ToJson).ToArray() }, output => MessageOutput.WriteTable(output, found, result.GetValue(body)));
        });
    }

    private static Command Send(CliContext context)
    {
        var topic = new Option<string>("--topic", "-t") { Description = "Topic", Required = true };
        var body = new Option<string?>("--body", "-b") { Description = "Body text; {n} becomes the message's number (1…count)" };
        var bodyFile = new Option<FileInfo?>("--body-file") { Description = "Send this file's bytes as the body" };
        var tag = new Option<string?>("--tag") { Description = "Tag" };
        var keys = new Option<string[]>("--key", "-k") { Description = "Business key (repeatable)" };
        var properties = new Option<string[]>("--property") { Description = "User property name=value (repeatable)", HelpName = "name=value" };
        var count = new Option<int>("--count", "-n") { Description = "How many messages to send", DefaultValueFactory = _ => 1 };
        var delay = new Option<int>("--delay-level") { Description = "Delay level 1-18 (1 s … 2 h), 0 for none" };
        var command = new Command("send", "Send messages (quick check)") { topic, body, bodyFile, tag, keys, properties, count, delay };
        return context.Runs(command, async (result, client, ct) =>
        {
            var n = result.GetValue(count);
            if (n is < 1 or > MaxCount)
            {
                throw CliException.Usage($"--count is {n}; give 1 to {MaxCount}.");
            }

            if (result.GetValue(body) is not null && result.GetValue(bodyFile) is not null)
            {
                throw CliException.Usage("give --body or --body-file, not both.");
            }

            byte[]? fileBody = result.GetValue(bodyFile) is { } file
                ? (file.Exists ? await File.ReadAllBytesAsync(file.FullName, ct) : throw CliException.Usage($"--body-file {file.FullName} does not exist."))
                : null;
            var template = result.GetValue(body) ?? "hello from orleansmq {n}";
            var props = (result.GetValue(properties) ?? []).Select(p =>
            {
                var eq = p.IndexOf('=', StringComparison.Ordinal);
                return eq > 0 ? (p[..eq], p[(eq + 1)..]) : throw CliException.Usage($"--property '{p}' is not name=value.");
            }).ToArray();

            await using var producer = client.CreateProducer();
            var progress = context.Progress(result, "sending", n);
            var results = new SendResult?[n];
            var errors = new string?[n];
            var done = 0;
            var sends = new List<Task>(n);
            for (var i = 0; i < n; i++)
            {
                var index = i;
                var message = fileBody is null
                    ? new Message(result.GetValue(topic)!, template.Replace("{n}", (i + 1).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
                    : new Message(result.GetValue(topic)!, fileBody);
                message.Tag = result.GetValue(tag);
                message.DelayLevel = result.GetValue(delay);
                foreach (var k in result.GetValue(keys) ?? [])
                {
                    message.Keys.Add(k);
                }

                foreach (var (name, value) in props)
                {
                    message.Properties[name] = value;
                }

                sends.Add(SendOneAsync(producer, message, index));
            }

            async Task SendOneAsync(Client.Producing.Producer p, Message m, int index)
            {
                try
                {
                    results[index] = await p.SendAsync(m, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    errors[index] = CliContext.FirstLine(e.Message);
                }

                progress.Report(Interlocked.Increment(ref done));
            }

            await Task.WhenAll(sends);
            progress.Complete();
            var sent = results.Where(r => r is not null && r.Status is SendStatus.Ok).Select(r => r!).ToArray();
            var failures = errors.Where(e => e is not null).Concat(results.Where(r => r is not null && r.Status is not SendStatus.Ok).Select(r => r!.Status.ToString())).ToArray();
            context.Write(
                result,
                new { Topic = result.GetValue(topic), Sent = sent.Length, Failed = failures.Length, Messages = sent.Take(1000).Select(r => new { Id = r.MessageId, r.UniqueKey, r.Queue.Broker, r.Queue.QueueId, r.QueueOffset }).ToArray(), Errors = failures.Distinct().Take(10).ToArray() },
                output =>
                {
                    if (n == 1 && sent.Length == 1)
                    {
                        output.WriteLine($"Sent {sent[0].MessageId} to {sent[0].Queue.Topic} queue {sent[0].Queue.QueueId} on {sent[0].Queue.Broker} at offset {sent[0].QueueOffset}.");
                    }
                    else
                    {
                        output.WriteLine($"Sent {sent.Length} of {n} messages to {result.GetValue(topic)}.");
                    }
                });
            if (failures.Length > 0)
            {
                throw CliException.Failed($"{failures.Length} of {n} sends failed: {failures[0]}");
            }
        });
    }

    private static Command Consume(CliContext context)
    {
        var topic = new Option<string>("--topic", "-t") { Description = "Topic", Required = true };
        var count = new Option<int>("--count", "-n") { Description = "Stop after this many messages", DefaultValueFactory = _ => 10 };
        var group = new Option<string?>("--group") { Description = "Consume as a member of this consumer group (commits offsets, so its lag falls); without it, read without committing" };
        var from = new Option<string>("--from") { Description = "Where to start when nothing is committed: first (default) or last", DefaultValueFactory = _ => "first" };
        var wait = new Option<double>("--wait") { Description = "Stop after this many seconds without a new message", DefaultValueFactory = _ => 5 };
        var tag = new Option<string?>("--tag") { Description = "Tag filter, e.g. 'a || b'" };
        var body = new Option<bool>("--body") { Description = "Show a body preview column", DefaultValueFactory = _ => true };
        var command = new Command("consume", "Consume messages (quick check)") { topic, count, group, from, wait, tag, body };
        return context.Runs(command, async (result, client, ct) =>
        {
            var n = result.GetValue(count);
            if (n is < 1 or > MaxCount)
            {
                throw CliException.Usage($"--count is {n}; give 1 to {MaxCount}.");
            }

            var first = result.GetValue(from)!.ToLowerInvariant() switch
            {
                "first" => true,
                "last" => false,
                var other => throw CliException.Usage($"--from is '{other}'; give first or last."),
            };
            var idle = TimeSpan.FromSeconds(Math.Clamp(result.GetValue(wait), 0.5, 3600));
            var progress = context.Progress(result, "consuming", n);
            var filter = result.GetValue(tag) is { } t ? FilterExpression.Tags(t) : null;
            var received = result.GetValue(group) is { } g
                ? await ConsumeInGroupAsync(client, result.GetValue(topic)!, g, filter, first, n, idle, progress, ct)
                : await PullAsync(client, result.GetValue(topic)!, filter, first, n, idle, progress, ct);
            progress.Complete();
            context.Write(result, new { Topic = result.GetValue(topic), Group = result.GetValue(group), Consumed = received.Count, Messages = received.Select(MessageOutput.ToJson).ToArray() }, output =>
            {
                MessageOutput.WriteTable(output, received, result.GetValue(body));
                output.WriteLine($"Consumed {received.Count} message(s).");
            });
        });
    }

    private static async Task<List<ReceivedMessage>> PullAsync(MqClient client, string topic, FilterExpression? filter, bool first, int count, TimeSpan idle, ProgressBar progress, CancellationToken ct)
    {
        await using var consumer = client.CreatePullConsumer(new PullConsumerOptions
        {
            StartFrom = first ? StartPosition.First : StartPosition.Last,
            Filter = filter,
            LongPollWait = TimeSpan.FromSeconds(2),
        });
        consumer.Assign(await consumer.GetQueuesAsync(topic));
        var received = new List<ReceivedMessage>();
        var lastMessage = DateTime.UtcNow;
        while (received.Count < count && DateTime.UtcNow - lastMessage < idle)
        {
            var batch = await consumer.PollAsync(TimeSpan.FromMilliseconds(500), ct);
            if (batch.Count > 0)
            {
                lastMessage = DateTime.UtcNow;
                received.AddRange(batch.Take(count - received.Count));
                progress.Report(received.Count);
            }
        }

        return received;
    }

    private static async Task<List<ReceivedMessage>> ConsumeInGroupAsync(MqClient client, string topic, string group, FilterExpression? filter, bool first, int count, TimeSpan idle, ProgressBar progress, CancellationToken ct)
    {
        var received = new List<ReceivedMessage>();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lastMessage = DateTime.UtcNow.Ticks;
        await using (var consumer = client.CreatePushConsumer(new PushConsumerOptions
        {
            ConsumerGroup = group,
            ConsumeFrom = first ? ConsumeFromWhere.FirstOffset : ConsumeFromWhere.LastOffset,
            InstanceName = "orleansmq-cli-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            LongPollWait = TimeSpan.FromSeconds(2),
            CommitInterval = TimeSpan.FromSeconds(1),
            ConsumeBatchSize = 1,
        }))
        {
            consumer.Subscribe(topic, filter ?? FilterExpression.All);
            // Orderly: one batch per queue at a time, so the count is exact; past it, a queue is suspended (its
            // messages retried locally, never sent back to the broker's retry topic) and stays uncommitted.
            consumer.RegisterMessageListener((IReadOnlyList<ReceivedMessage> messages, ConsumeOrderlyContext _, CancellationToken _) =>
            {
                lock (received)
                {
                    if (received.Count + messages.Count > count)
                    {
                        enough.TrySetResult();
                        return Task.FromResult(ConsumeOrderlyStatus.SuspendCurrentQueueAMoment);
                    }

                    received.AddRange(messages);
                    Interlocked.Exchange(ref lastMessage, DateTime.UtcNow.Ticks);
                    progress.Report(received.Count);
                    if (received.Count >= count)
                    {
                        enough.TrySetResult();
                    }
                }

                return Task.FromResult(ConsumeOrderlyStatus.Success);
            });
            await consumer.StartAsync(ct);
            while (!enough.Task.IsCompleted && DateTime.UtcNow.Ticks - Interlocked.Read(ref lastMessage) < idle.Ticks)
            {
                await Task.WhenAny(enough.Task, Task.Delay(TimeSpan.FromMilliseconds(200), ct));
            }
        }

        lock (received)
        {
            return [.. received];
        }
    }
}
