using System.CommandLine;
using OrleansMq.Cli.Output;
using OrleansMq.Client.Messages;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Naming;

namespace OrleansMq.Cli.Commands;

/// <summary><c>dlq list|resend</c>: a group's dead letters (<c>%DLQ%group</c>) and sending them back to their topic.</summary>
internal static class DeadLetterCommands
{
    public static Command Create(CliContext context)
    {
        var group = new Option<string>("--group") { Description = "Consumer group", Required = true };
        var max = new Option<int>("--max") { Description = "Most messages (1-1024), newest first", DefaultValueFactory = _ => 32 };
        var body = new Option<bool>("--body") { Description = "Show a body preview column" };
        var list = context.Runs(new Command("list", "The newest dead-lettered messages of a group") { group, max, body }, async (result, client, ct) =>
        {
            var messages = await LatestAsync(client.Admin, result.GetValue(group)!, result.GetValue(max));
            context.Write(result, new { Group = result.GetValue(group), Topic = SystemTopics.DeadLetter(result.GetValue(group)!), Messages = messages.Select(MessageOutput.ToJson).ToArray() }, output =>
            {
                MessageOutput.WriteTable(output, messages, result.GetValue(body));
            });
        });

        var ids = new Argument<string[]>("message-id") { Description = "Ids of dead-lettered messages (as listed)", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all") { Description = "Resend every listed dead letter of --group (up to --max)" };
        var resendGroup = new Option<string?>("--group") { Description = "With --all: the consumer group" };
        var resend = context.Runs(new Command("resend", "Send dead letters back to their original topic as new messages") { ids, all, resendGroup, max }, async (result, client, ct) =>
        {
            var given = result.GetValue(ids) ?? [];
            if (given.Length > 0 == result.GetValue(all))
            {
                throw CliException.Usage("dlq resend needs message ids, or --all with --group.");
            }

            if (result.GetValue(all))
            {
                var name = result.GetValue(resendGroup) ?? throw CliException.Usage("dlq resend --all needs --group.");
                given = [.. (await LatestAsync(client.Admin, name, result.GetValue(max))).Select(m => m.MessageId)];
            }

            var progress = context.Progress(result, "resending", given.Length);
            var done = new List<Resent>();
            var failed = new List<string>();
            foreach (var id in given)
            {
                try
                {
                    var r = await client.Admin.ResendDeadLetterAsync(id);
                    done.Add(new Resent(id, r.Topic, r.MessageId));
                }
                catch (Exception e) when (e is OrleansMqException or ArgumentException)
                {
                    failed.Add($"{id}: {CliContext.FirstLine(e.Message)}");
                }

                progress.Report(done.Count + failed.Count);
            }

            progress.Complete();
            context.Write(result, new { Resent = done, Failed = failed }, output =>
            {
                foreach (var d in done)
                {
                    output.WriteLine($"Resent {d.Id} to {d.Topic} as {d.NewId}.");
                }
            });
            if (failed.Count > 0)
            {
                throw CliException.Failed($"{failed.Count} of {given.Length} resends failed: {failed[0]}");
            }
        });

        return new Command("dlq", "Dead-letter queues: list, resend") { list, resend };
    }

    private sealed record Resent(string Id, string Topic, string NewId);

    private static async Task<IReadOnlyList<ReceivedMessage>> LatestAsync(Client.Admin.MqAdmin admin, string group, int max)
    {
        if (max is < 1 or > Client.Admin.MqAdmin.MaxQueryResults)
        {
            throw CliException.Usage($"--max is {max}; give 1 to {Client.Admin.MqAdmin.MaxQueryResults}.");
        }

        try
        {
            return await admin.GetLatestMessagesAsync(SystemTopics.DeadLetter(group), max);
        }
        catch (TopicNotFoundException)
        {
            return []; // Nothing was ever dead-lettered for this group.
        }
    }
}
