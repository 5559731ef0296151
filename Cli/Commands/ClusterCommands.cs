using System.CommandLine;
using OrleansMq.Cli.Output;
using OrleansMq.Grains.Brokers;

namespace OrleansMq.Cli.Commands;

/// <summary><c>cluster status</c>: brokers, liveness, disk and watermark, traffic since start (mqadmin clusterList/brokerStatus).</summary>
internal static class ClusterCommands
{
    public static Command Create(CliContext context)
    {
        var status = context.Runs(new Command("status", "Brokers: alive or dead, disk used and free, the disk watermark, store size, queues, pending timers, messages in and out since start"), async (result, client, ct) =>
        {
            var brokers = await client.Admin.ListBrokersAsync();
            var stats = await Task.WhenAll(brokers.Select(async b =>
            {
                if (!b.IsAlive)
                {
                    return ((BrokerStats?)null, "not an active cluster member");
                }

                try
                {
                    return (await client.Admin.GetBrokerStatsAsync(b.Name).WaitAsync(ct), (string?)null);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    return (null, CliContext.FirstLine(e.Message));
                }
            }));
            var rows = brokers.Select((b, i) => new
            {
                b.Name,
                Alive = b.IsAlive,
                Silo = b.SiloAddress,
                b.RegisteredAt,
                Stats = stats[i].Item1 is { } s ? new
                {
                    s.Status.DiskTotalBytes,
                    s.Status.DiskFreeBytes,
                    s.MinFreeDiskBytes,
                    DiskFull = s.Status.IsDiskFull,
                    s.Status.StoreBytes,
                    s.Status.QueueCount,
                    s.Status.FlushPolicy,
                    s.PendingTimers,
                    s.StartedAt,
                    s.MessagesIn,
                    s.MessagesOut,
                    s.BytesIn,
                    s.BytesOut,
                } : null,
                Error = stats[i].Item2,
            }).ToArray();
            context.Write(result, new { Brokers = rows }, output =>
            {
                var table = new Table("BROKER", "STATUS", "SILO", "DISK USED", "FREE", "WATERMARK", "STORE", "QUEUES", "TIMERS", "IN", "OUT", "NOTE")
                    .RightAlign("DISK USED", "FREE", "WATERMARK", "STORE", "QUEUES", "TIMERS", "IN", "OUT");
                foreach (var r in rows)
                {
                    var s = r.Stats;
                    table.Add(
                        r.Name,
                        r.Alive ? "alive" : "DEAD",
                        r.Silo,
                        s is null ? null : $"{(s.DiskTotalBytes - s.DiskFreeBytes) * 100.0 / Math.Max(1, s.DiskTotalBytes):0}%",
                        s is null ? null : Formats.Bytes(s.DiskFreeBytes),
                        s is null ? null : Formats.Bytes(s.MinFreeDiskBytes),
                        s is null ? null : Formats.Bytes(s.StoreBytes),
                        s?.QueueCount,
                        s?.PendingTimers,
                        s?.MessagesIn,
                        s?.MessagesOut,
                        s is { DiskFull: true } ? "DISK FULL: sends refused" : r.Error);
                }

                table.WriteTo(output);
            });
        });
        return new Command("cluster", "The cluster's brokers") { status };
    }
}
