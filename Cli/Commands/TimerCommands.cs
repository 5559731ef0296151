using System.CommandLine;

namespace OrleansMq.Cli.Commands;

/// <summary><c>timer cancel</c>: cancels a pending delay or timer message by the id its send returned.</summary>
internal static class TimerCommands
{
    public static Command Create(CliContext context)
    {
        var id = new Argument<string>("message-id") { Description = "Id returned when the delay or timer message was sent" };
        var cancel = context.Runs(new Command("cancel", "Cancel a pending delay or timer message") { id }, async (result, client, ct) =>
        {
            var messageId = result.GetValue(id)!;
            if (!await client.Admin.CancelScheduledMessageAsync(messageId))
            {
                throw CliException.Failed($"Message {messageId} is not a pending delay or timer message (already delivered, cancelled, or unknown).");
            }

            context.Write(result, new { Id = messageId, Cancelled = true }, output => output.WriteLine($"Cancelled {messageId}."));
        });
        return new Command("timer", "Delay and timer messages") { cancel };
    }
}
