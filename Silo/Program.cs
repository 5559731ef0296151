// The OrleansMq broker: `dotnet run --project Silo` starts an embedded single-broker silo.
using OrleansMq.Silo;
using OrleansMq.Silo.Configuration;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(CommandLine.Usage);
    return 0;
}

try
{
    var app = BrokerHost.Build(args);
    await BrokerHost.PrepareAsync(app);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (BrokerHost.DescribeStartupFailure(e) is { } reason)
{
    Console.Error.WriteLine($"OrleansMq broker failed to start: {reason}");
    return 1;
}
