// orleansmq: the OrleansMq admin CLI (`dotnet run --project Cli -- --help`), see docs/operations.md.
using OrleansMq.Cli;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // Stop the running command cleanly (consumers unregister, producers flush).
    cancel.Cancel();
};

return await CliApp.RunAsync(args, Console.Out, Console.Error, interactive: !Console.IsErrorRedirected, cancellationToken: cancel.Token);
