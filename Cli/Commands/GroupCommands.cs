using System.CommandLine;
using OrleansMq.Cli.Output;
using OrleansMq.Grains.Consumers;

namespace OrleansMq.Cli.Commands;

/// <summary><c>group list|describe|lag|reset-offsets</c> (mqadmin consumerConnection, consumerProgress, resetOffsetByTime).</summary>
internal static class GroupCommands
{
    public static Command Create(CliContext context)
    {
        var list = context.Runs(new Command("list", "Consumer groups with their members and total lag"), async (result, client, ct) =>
        {
            var names = await client.Admin.ListGroupsAsync();
            var rows = await Task.WhenAll(names.Select(async name =>
            {
                var description = await client.Admin.DescribeGroupAsync(name);
                var lag = await client.Admin.GetGroupLagAsync(name);
                return new { Name = name, description.Mode, Members = description.Members.Length, Lag = TotalLag(lag) };
            }));
            context.Write(result, new { Groups = rows }, output =>
            {
                var table = new Table("GROUP", "MODE", "MEMBERS", "LAG").RightAlign("MEMBERS", "LAG");
                foreach (var r in rows)
                {
                    table.Add(r.Name, r.Mode, r.Members, r.Lag);
                }

                table.WriteTo(output);
            });
        });

        var group = new Argument<string>("group") { Description = "Consumer group" };
        var describe = context.Runs(new Command("describe", "A group's members, their subscriptions and the queues assigned to each") { group }, async (result, client, ct) =>
        {
            var d = await client.Admin.DescribeGroupAsync(result.GetValue(group)!);
            context.Write(result, d, output =>
            {
                output.WriteLine($"Group {d.Group}: {d.Mode}, {d.Strategy}, generation {d.Generation}, {d.Members.Length} member(s)");
                var table = new Table("MEMBER", "CLIENT", "LAST HEARTBEAT", "SUBSCRIPTIONS", "QUEUES");
                foreach (var m in d.Members)
                {
                    table.Add(m.MemberId, m.ClientId, m.LastHeartbeat, string.Join(", ", m.Subscriptions.Select(s => s.Filter.IsAll ? s.Topic : $"{s.Topic} ({s.Filter.Expression})")), string.Join(", ", m.Queues));
                }

                table.WriteTo(output);
                if (d.PendingMoves.Length > 0)
                {
                    output.WriteLine($"Moving (waiting for the previous holder): {string.Join(", ", d.PendingMoves)}");
                }
            });
        });

        var lag = context.Runs(new Command("lag", "Lag per queue: committed and max offsets, messages behind, age of the oldest unconsumed message") { group }, async (result, client, ct) =>
        {
            var name = result.GetValue(group)!;
            var queues = await client.Admin.GetGroupLagAsync(name);
            var rows = queues.Select(q => new { q.Topic, q.Broker, q.QueueId, q.CommittedOffset, q.MaxOffset, q.Lag, OldestUnconsumedSeconds = q.OldestUnconsumedAge?.TotalSeconds, q.Owner }).ToArray();
            context.Write(result, new { Group = name, TotalLag = TotalLag(queues), Queues = rows }, output =>
            {
                var table = new Table("TOPIC", "QUEUE", "BROKER", "COMMITTED", "MAX OFFSET", "LAG", "OLDEST", "ASSIGNED TO").RightAlign("QUEUE", "COMMITTED", "MAX OFFSET", "LAG", "OLDEST");
                foreach (var q in queues)
                {
                    table.Add(q.Topic, q.QueueId, q.Broker, q.CommittedOffset < 0 ? null : q.CommittedOffset, q.MaxOffset < 0 ? null : q.MaxOffset, q.Lag < 0 ? "broker down" : q.Lag, Formats.Age(q.OldestUnconsumedAge), q.Owner);
                }

                table.WriteTo(output);
                output.WriteLine($"Total lag: {Formats.Cell(TotalLag(queues))}");
            });
        });

        var topic = new Option<string>("--topic", "-t") { Description = "Topic whose offsets to reset", Required = true };
        var toTime = new Option<string>("--to-time") { Description = "Reset to the first message stored at or after this time: " + TimeArgument.Help, Required = true, HelpName = "time" };
        var reset = context.Runs(new Command("reset-offsets", "Set a group's offsets on a topic to a time; running members restart from there") { group, topic, toTime }, async (result, client, ct) =>
        {
            var time = TimeArgument.Parse(result.GetValue(toTime)!, "--to-time", CliContext.Now);
            var offsets = await client.Admin.ResetGroupOffsetsAsync(result.GetValue(group)!, result.GetValue(topic)!, time);
            context.Write(result, new { Group = result.GetValue(group), Topic = result.GetValue(topic), Time = time, Offsets = offsets }, output =>
            {
                output.WriteLine($"Offsets of group {result.GetValue(group)} on {result.GetValue(topic)} reset to {Formats.Time(time)}:");
                var table = new Table("QUEUE", "OFFSET").RightAlign("QUEUE", "OFFSET");
                foreach (var o in offsets)
                {
                    table.Add(o.QueueId, o.Offset);
                }

                table.WriteTo(output);
            });
        });

        return new Command("group", "Consumer groups: list, describe, lag, reset-offsets") { list, describe, lag, reset };
    }

    private static long TotalLag(IEnumerable<QueueLag> queues) => queues.Sum(q => Math.Max(0, q.Lag));
}
