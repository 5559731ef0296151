using System.CommandLine;
using OrleansMq.Cli.Output;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Naming;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Cli.Commands;

/// <summary><c>topic list|create|update|delete|describe</c> (mqadmin topicList, updateTopic, deleteTopic, topicRoute/topicStatus).</summary>
internal static class TopicCommands
{
    public static Command Create(CliContext context)
    {
        var all = new Option<bool>("--all", "-a") { Description = "Include system topics (%RETRY%…, %DLQ%…, RMQ_SYS_…)" };
        var list = context.Runs(new Command("list", "Topics with their queue count, permission and brokers") { all }, async (result, client, ct) =>
        {
            var names = (await client.Admin.ListTopicsAsync()).Where(t => result.GetValue(all) || !SystemTopics.IsSystem(t)).ToArray();
            var routes = (await Task.WhenAll(names.Select(client.Admin.GetRouteAsync))).OfType<TopicRoute>().ToArray();
            var rows = routes.Select(r => new
            {
                Name = r.Topic,
                QueueCount = r.Queues.Length,
                Permission = r.Permission,
                Brokers = r.Queues.Select(q => q.Broker).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
            }).ToArray();
            context.Write(result, new { Topics = rows }, output =>
            {
                var table = new Table("TOPIC", "QUEUES", "PERMISSION", "BROKERS").RightAlign("QUEUES");
                foreach (var r in rows)
                {
                    table.Add(r.Name, r.QueueCount, r.Permission, string.Join(", ", r.Brokers));
                }

                table.WriteTo(output);
            });
        });

        var topic = new Argument<string>("topic") { Description = "Topic name" };
        var queues = new Option<int?>("--queues", "-q") { Description = "Queue count (create: default 8; update: grow to this many)" };
        var permission = new Option<TopicPermission?>("--permission", "-p") { Description = "ReadWrite (default), Read, Write or None" };

        var create = context.Runs(new Command("create", "Create a topic; its queues go to the live brokers with the fewest queues") { topic, queues, permission }, async (result, client, ct) =>
        {
            var route = await client.Admin.CreateTopicAsync(result.GetValue(topic)!, result.GetValue(queues) ?? 8, result.GetValue(permission) ?? TopicPermission.ReadWrite);
            WriteRoute(context, result, route, "created");
        });

        var update = context.Runs(new Command("update", "Grow a topic's queue count and/or change its permission") { topic, queues, permission }, async (result, client, ct) =>
        {
            var name = result.GetValue(topic)!;
            if (result.GetValue(queues) is null && result.GetValue(permission) is null)
            {
                throw CliException.Usage("topic update needs --queues and/or --permission.");
            }

            var current = await client.Admin.GetRouteAsync(name) ?? throw new TopicNotFoundException(name);
            var route = await client.Admin.UpdateTopicAsync(name, result.GetValue(queues) ?? current.Queues.Length, result.GetValue(permission) ?? current.Permission);
            WriteRoute(context, result, route, "updated");
        });

        var delete = context.Runs(new Command("delete", "Delete a topic and its queues' messages on every broker") { topic }, async (result, client, ct) =>
        {
            var name = result.GetValue(topic)!;
            if (!await client.Admin.DeleteTopicAsync(name))
            {
                throw new TopicNotFoundException(name);
            }

            context.Write(result, new { Topic = name, Deleted = true }, output => output.WriteLine($"Topic {name} deleted."));
        });

        var describe = context.Runs(new Command("describe", "A topic's route and each queue's broker and offsets") { topic }, async (result, client, ct) =>
        {
            var name = result.GetValue(topic)!;
            var route = await client.Admin.GetRouteAsync(name) ?? throw new TopicNotFoundException(name);
            var offsets = await client.Admin.GetTopicOffsetsAsync(name);
            var rows = route.Queues.Select(q =>
            {
                var o = offsets.FirstOrDefault(s => s.QueueId == q.QueueId);
                return new { q.QueueId, q.Broker, MinOffset = o?.MinOffset, MaxOffset = o?.MaxOffset, Messages = o is null ? (long?)null : o.MaxOffset - o.MinOffset };
            }).ToArray();
            context.Write(result, new { Name = route.Topic, route.Version, route.Permission, Queues = rows }, output =>
            {
                output.WriteLine($"Topic {route.Topic}: {route.Queues.Length} queues, {route.Permission}, route version {route.Version}");
                var table = new Table("QUEUE", "BROKER", "MIN OFFSET", "MAX OFFSET", "MESSAGES").RightAlign("QUEUE", "MIN OFFSET", "MAX OFFSET", "MESSAGES");
                foreach (var r in rows)
                {
                    table.Add(r.QueueId, r.Broker, r.MinOffset, r.MaxOffset, r.Messages);
                }

                table.WriteTo(output);
            });
        });

        return new Command("topic", "Topics: list, create, update, delete, describe") { list, create, update, delete, describe };
    }

    private static void WriteRoute(CliContext context, ParseResult result, TopicRoute route, string verb) =>
        context.Write(
            result,
            new { Name = route.Topic, route.Version, route.Permission, Queues = route.Queues.Select(q => new { q.QueueId, q.Broker }).ToArray() },
            output => output.WriteLine($"Topic {route.Topic} {verb}: {route.Queues.Length} queues on {string.Join(", ", route.Queues.Select(q => q.Broker).Distinct(StringComparer.Ordinal))}, {route.Permission}, route version {route.Version}."));
}
