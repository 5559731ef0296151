using System.Globalization;
using System.Text.RegularExpressions;
using OrleansMq.Benchmarks.Common;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Hosting;
using OrleansMq.Client.Messages;
using OrleansMq.Grains.Consumers;

namespace OrleansMq.Benchmarks.Workload;

/// <summary>
/// W5 (issue #5): "≥ 1,000,000 pending timers per broker without slowing normal produce; delivered within 1 s after
/// due and never before", in one run against one broker: W1 max publish as a baseline, load <see
/// cref="WorkloadSettings.Timers"/> timers due in 2 h, W1 again with them pending (ratio = with / baseline); delivery
/// lateness of timers due during the run on the real clock, measured before (reference) and after loading; broker RSS
/// before and after loading; and optionally the time the broker takes to come back with them after a kill.
/// </summary>
internal sealed partial class Workloads
{
    /// <summary>The loaded timers are due after the run ends and well within the 24 h re-roll age (no re-roll during the run).</summary>
    private static readonly TimeSpan PendingHorizon = TimeSpan.FromHours(2);

    /// <summary>
    /// The first lateness timer is due this long after its send starts: 20,000 sends take ~0.2-1 s here, so all of them
    /// are stored before any is due (<c>stored_after_due</c> counts those that were not).
    /// </summary>
    private static readonly TimeSpan LateLead = TimeSpan.FromSeconds(2);

    /// <summary>Restarting reads every pending record back from the log (~350 MB for a million here); generous bound.</summary>
    private static readonly TimeSpan RestartTimeout = TimeSpan.FromSeconds(300);

    [GeneratedRegex(@"Timer service recovered (\d+) pending timers in (\d+) ms")]
    private static partial Regex RecoveredLine();

    /// <summary>W5, as the type summary says. <paramref name="silo"/> is null against <c>--gateway</c> (no RSS, no restart).</summary>
    public async Task<WorkloadResult> TimersAsync(BenchSilo? silo)
    {
        await WarmUpAsync();
        Console.Error.WriteLine("W5: baseline max publish (W1 shape) ...");
        var baseline = await MaxPublishAsync("W5-base", topics: 1, queuesPerTopic: 16);
        Console.Error.WriteLine(baseline.Line());
        Console.Error.WriteLine($"W5: baseline delivery lateness of {settings.LateTimers:N0} timers due over {settings.LateSpreadSeconds:0.#} s, none other pending ...");
        var baseLateness = await LatenessAsync();
        var before = MemoryOf(silo);
        var logBefore = await WrittenBytesAsync(client);

        var load = await LoadTimersAsync();
        var pending = await WaitPendingAsync(client, settings.TimerControl ? 0 : settings.Timers, TimeSpan.FromSeconds(60), "the broker stats to report the loaded timers as pending");
        var after = MemoryOf(silo);
        var logBytes = await WrittenBytesAsync(client) - logBefore;
        Console.Error.WriteLine($"W5: {pending:N0} timers pending; broker RSS {before.RssBytes / 1e6:F0} -> {after.RssBytes / 1e6:F0} MB (anonymous {before.AnonBytes / 1e6:F0} -> {after.AnonBytes / 1e6:F0} MB)");

        Console.Error.WriteLine("W5: max publish with the timers pending ...");
        var loaded = await MaxPublishAsync("W5-timers", topics: 1, queuesPerTopic: 16);
        Console.Error.WriteLine(loaded.Line());
        var afterPublish = MemoryOf(silo);

        Console.Error.WriteLine($"W5: delivery lateness of {settings.LateTimers:N0} timers due over {settings.LateSpreadSeconds:0.#} s, {pending:N0} others pending ...");
        var lateness = await LatenessAsync();
        var pendingAfter = await PendingTimersAsync(client);

        var result = new WorkloadResult("W5");
        foreach (var (key, value) in loaded.Fields)
        {
            result.Add(key, value);
        }

        foreach (var (key, value) in baseline.Fields)
        {
            result.Add("base_" + key, value);
        }

        result.Add("ratio", Math.Round(loaded["msgs_per_s"] / baseline["msgs_per_s"], 3));
        result.Add("control", settings.TimerControl);
        result.Add("timers", settings.TimerControl ? 0 : load.Acked);
        result.Add("load_msgs_per_s", load.Acked == 0 ? double.NaN : Math.Round(load.Acked / load.Seconds));
        result.Add("load_s", Math.Round(load.Seconds, 1));
        result.Add("load_errors", load.Errors);
        result.Add("load_cpu_broker", Math.Round(load.Cpu.Server, 2));
        result.Add("log_bytes_per_timer", load.Acked == 0 ? double.NaN : Math.Round(logBytes / (double)load.Acked, 1));
        result.Add("pending", pending);
        result.Add("rss_before_mb", Math.Round(before.RssBytes / 1e6, 1));
        result.Add("rss_after_mb", Math.Round(after.RssBytes / 1e6, 1));
        result.Add("rss_after_publish_mb", Math.Round(afterPublish.RssBytes / 1e6, 1));
        result.Add("rss_anon_before_mb", Math.Round(before.AnonBytes / 1e6, 1));
        result.Add("rss_anon_after_mb", Math.Round(after.AnonBytes / 1e6, 1));
        result.Add("rss_bytes_per_timer", load.Acked == 0 ? double.NaN : Math.Round((after.RssBytes - before.RssBytes) / load.Acked, 1));
        result.Add("anon_bytes_per_timer", load.Acked == 0 ? double.NaN : Math.Round((after.AnonBytes - before.AnonBytes) / load.Acked, 1));
        result.AddLatency("late", lateness.Summary);
        result.Add("late_min_ms", Math.Round(lateness.MinMilliseconds, 3));
        result.Add("late_sent", lateness.Acked);
        result.Add("late_errors", lateness.Errors);
        result.Add("stored_after_due", lateness.StoredAfterDue);
        result.Add("early", lateness.Early);
        result.Add("missing", lateness.Missing);
        result.Add("duplicates", lateness.Duplicates);
        result.Add("pending_after", pendingAfter);
        result.AddLatency("base_late", baseLateness.Summary);
        result.Add("base_early", baseLateness.Early);
        result.Add("base_missing", baseLateness.Missing);
        if (silo is not null && settings.TimerRestart)
        {
            var recovery = await RecoverAsync(silo, pendingAfter);
            result.Add("recovery_gateway_s", Math.Round(recovery.GatewaySeconds, 2));
            result.Add("recovery_s", Math.Round(recovery.ReadySeconds, 2));
            result.Add("recovery_index_ms", recovery.IndexMilliseconds);
            result.Add("recovered_pending", recovery.Pending);
        }
        else
        {
            Console.Error.WriteLine("W5: restart recovery skipped (" + (silo is null ? "--gateway: the runner does not own the broker" : "--no-restart") + ")");
        }

        return result;
    }

    /// <summary>
    /// Publishes (W1 shape, not measured) until the brokers' commit logs hold <see cref="WorkloadSettings.TimerWarmupBytes"/>,
    /// at most 180 s, so the baseline and the with-timers run both see a broker in its steady state. Why, measured here
    /// (one broker, sync flush, 15 s windows): on a fresh broker a baseline ran ~2x slower than the run after it (its
    /// first segment is only fallocate'd, so each fdatasync also commits the ext4 journal; see <c>SegmentPreparer</c>),
    /// and after a 1.1 GiB warm-up five back-to-back W1 runs without any timers gave 133k, 106k, 120k, 116k and 114k
    /// msgs/s: the first pass after a short warm-up is still ~15% faster than the steady state, which alone would read
    /// as a 0.8 "ratio". With the log past ~4 GiB the runs stay within about ±7% of each other.
    /// </summary>
    private async Task WarmUpAsync()
    {
        if (settings.TimerWarmupBytes <= 0)
        {
            return;
        }

        var topic = $"bench-w5-warm-{Guid.NewGuid():N}"[..30];
        await client.Admin.CreateTopicAsync(topic, 16);
        var payload = Payload.Random(settings.Size);
        var slots = new SemaphoreSlim(settings.InFlight, settings.InFlight);
        var start = Now;
        var deadline = start + Ticks(180);
        long written = 0;
        var reached = false;
        var poll = Task.Run(async () =>
        {
            while (Now < deadline && !Volatile.Read(ref reached))
            {
                Volatile.Write(ref written, await WrittenBytesAsync(client));
                Volatile.Write(ref reached, Volatile.Read(ref written) >= settings.TimerWarmupBytes);
                await Task.Delay(500);
            }
        });

        async Task CompleteAsync(Task<SendResult> send)
        {
            try
            {
                await send;
            }
            catch
            {
                // Warm-up only: the measured runs count their errors.
            }
            finally
            {
                slots.Release();
            }
        }

        Console.Error.WriteLine($"W5: warming up until the commit log holds {settings.TimerWarmupBytes / (double)(1L << 30):0.##} GiB (at most 180 s) ...");
        await using (var producer = client.CreateProducer(ProducerOptions()))
        {
            while (!Volatile.Read(ref reached) && Now < deadline)
            {
                await slots.WaitAsync();
                _ = CompleteAsync(producer.SendAsync(new Message(topic, payload)));
            }

            await DrainAsync(slots, settings.InFlight);
        }

        await poll;
        if (!Volatile.Read(ref reached))
        {
            Console.Error.WriteLine($"warning: W5 warm-up stopped after 180 s with {Volatile.Read(ref written) / 1e6:F0} MB in the commit log, short of {settings.TimerWarmupBytes / 1e6:F0} MB");
        }

        Console.Error.WriteLine($"W5: warmed up in {(Now - start) / Frequency:F1} s");
    }

    private static Task<long> WrittenBytesAsync(MqClient target) =>
        SumOverLiveBrokersAsync(target, async broker => (await target.Admin.GetBrokerStatusAsync(broker)).WrittenPosition);

    /// <summary>The sum of <paramref name="value"/> over the brokers that are alive.</summary>
    private static async Task<long> SumOverLiveBrokersAsync(MqClient target, Func<string, Task<long>> value)
    {
        long total = 0;
        foreach (var broker in await target.Admin.ListBrokersAsync())
        {
            if (broker.IsAlive)
            {
                total += await value(broker.Name);
            }
        }

        return total;
    }

    private static ProcessMemory MemoryOf(BenchSilo? silo) => silo is null ? new ProcessMemory(double.NaN, double.NaN) : ProcessMemory.Read(silo.Pid);

    /// <summary>Sends <see cref="WorkloadSettings.Timers"/> timers as fast as acks return (at most InFlight outstanding), due from now + 2 h, 1 ms apart.</summary>
    private async Task<TimerLoad> LoadTimersAsync()
    {
        var topic = $"bench-w5-pending-{Guid.NewGuid():N}"[..32];
        await client.Admin.CreateTopicAsync(topic, 16);
        var body = Payload.Random(settings.TimerSize);
        var first = DateTimeOffset.UtcNow + PendingHorizon;
        var slots = new SemaphoreSlim(settings.InFlight, settings.InFlight);
        long acked = 0, errors = 0, sent = 0;
        string? firstError = null;

        async Task CompleteAsync(Task<SendResult> send)
        {
            try
            {
                await send;
                Interlocked.Increment(ref acked);
            }
            catch (Exception e)
            {
                if (Interlocked.Increment(ref errors) == 1)
                {
                    firstError = $"{e.GetType().Name}: {e.Message}";
                }
            }
            finally
            {
                slots.Release();
            }
        }

        Console.Error.WriteLine(settings.TimerControl
            ? $"W5: control run: loading {settings.Timers:N0} normal messages in place of the timers ({settings.TimerSize} B bodies, at most {settings.TimerLoadSeconds:0} s) ..."
            : $"W5: loading {settings.Timers:N0} timers ({settings.TimerSize} B bodies, due from {first:HH:mm:ss} UTC, at most {settings.TimerLoadSeconds:0} s) ...");
        var cpuFrom = cpu.Take();
        var start = Now;
        var stop = start + Ticks(settings.TimerLoadSeconds);
        var report = start + Ticks(10);
        await using (var producer = client.CreateProducer(ProducerOptions()))
        {
            while (sent < settings.Timers && Now < stop)
            {
                await slots.WaitAsync();
                var message = new Message(topic, body) { DeliverAt = settings.TimerControl ? null : first.AddMilliseconds(sent) };
                _ = CompleteAsync(producer.SendAsync(message));
                sent++;
                if (Now > report)
                {
                    report += Ticks(10);
                    Console.Error.WriteLine($"W5: {Interlocked.Read(ref acked):N0} timers stored after {(Now - start) / Frequency:F0} s");
                }
            }

            await DrainAsync(slots, settings.InFlight);
        }

        var seconds = (Now - start) / Frequency;
        var usage = cpu.Measure(cpuFrom, cpu.Take());
        Console.Error.WriteLine($"W5: stored {acked:N0} {(settings.TimerControl ? "messages" : "timers")} in {seconds:F1} s ({acked / seconds:F0} msgs/s), {errors} errors");
        if (firstError is not null)
        {
            Console.Error.WriteLine($"W5: first timer send error: {firstError}");
        }

        return new TimerLoad(Interlocked.Read(ref acked), seconds, Interlocked.Read(ref errors), usage);
    }

    /// <summary>
    /// Timers due over the next <see cref="WorkloadSettings.LateSpreadSeconds"/>, consumed by a push consumer that was
    /// already holding the topic's queues: lateness = receive time − due time on the wall clock (broker and runner share
    /// the machine's clock, so "early" is exact); each body carries its sequence number and due time.
    /// </summary>
    private async Task<Lateness> LatenessAsync()
    {
        var count = settings.LateTimers;
        var topic = $"bench-w5-late-{Guid.NewGuid():N}"[..30];
        await client.Admin.CreateTopicAsync(topic, 16);
        var recorder = new LatencyRecorder(count);
        var seen = new int[count];
        long received = 0, early = 0, duplicates = 0, minLate = long.MaxValue;

        await using var consumer = client.CreatePushConsumer(new PushConsumerOptions
        {
            ConsumerGroup = $"bench-w5-{Guid.NewGuid():N}"[..30],
            ConsumeFrom = ConsumeFromWhere.FirstOffset,
            ConsumeBatchSize = 32,
            CommitInterval = TimeSpan.FromSeconds(1),
        });
        consumer.Subscribe(topic);
        consumer.RegisterMessageListener((messages, context, ct) =>
        {
            // 100 ns units since the Unix epoch: the same clock (CLOCK_REALTIME) the broker compares due times with.
            var now = DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks;
            foreach (var message in messages)
            {
                var (sequence, dueMilliseconds) = Payload.Read(message.Body.Span);
                if ((ulong)sequence >= (ulong)count)
                {
                    continue;
                }

                if (Interlocked.Exchange(ref seen[sequence], 1) != 0)
                {
                    Interlocked.Increment(ref duplicates);
                    continue;
                }

                var late = now - dueMilliseconds * TimeSpan.TicksPerMillisecond;
                if (late < 0)
                {
                    Interlocked.Increment(ref early);
                }

                for (var min = Interlocked.Read(ref minLate); late < min; min = Interlocked.Read(ref minLate))
                {
                    if (Interlocked.CompareExchange(ref minLate, late, min) == min)
                    {
                        break;
                    }
                }

                recorder.Record((long)(late * (Frequency / TimeSpan.TicksPerSecond)));
                Interlocked.Increment(ref received);
            }

            return Task.FromResult(ConsumeConcurrentlyStatus.ConsumeSuccess);
        });
        await consumer.StartAsync();
        await WaitAsync(() => consumer.AssignedQueues.Count(q => q.Topic == topic) == 16, TimeSpan.FromSeconds(30), "the W5 consumer to hold the topic's 16 queues");

        var template = Payload.Random(settings.TimerSize);
        var firstDue = (DateTimeOffset.UtcNow + LateLead).ToUnixTimeMilliseconds();
        var spread = settings.LateSpreadSeconds * 1000.0;
        var slots = new SemaphoreSlim(settings.InFlight, settings.InFlight);
        long acked = 0, errors = 0, storedAfterDue = 0;

        async Task CompleteAsync(Task<SendResult> send, long due)
        {
            try
            {
                await send;
                Interlocked.Increment(ref acked);
                if (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > due)
                {
                    Interlocked.Increment(ref storedAfterDue);
                }
            }
            catch
            {
                Interlocked.Increment(ref errors);
            }
            finally
            {
                slots.Release();
            }
        }

        await using (var producer = client.CreateProducer(ProducerOptions()))
        {
            for (var i = 0; i < count; i++)
            {
                var due = firstDue + (long)(i * spread / count);
                await slots.WaitAsync();
                var message = new Message(topic, Payload.Stamped(template, i, due)) { DeliverAt = DateTimeOffset.FromUnixTimeMilliseconds(due) };
                _ = CompleteAsync(producer.SendAsync(message), due);
            }

            await DrainAsync(slots, settings.InFlight);
        }

        // Everything must arrive within 1 s of its due time; 30 s past the last one is a generous bound.
        var lastDue = firstDue + (long)spread;
        var bound = TimeSpan.FromMilliseconds(Math.Max(0, lastDue - DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())) + TimeSpan.FromSeconds(30);
        await WaitAsync(() => Interlocked.Read(ref received) >= Interlocked.Read(ref acked), bound,
            $"all {Interlocked.Read(ref acked):N0} W5 lateness timers (due by {DateTimeOffset.FromUnixTimeMilliseconds(lastDue):HH:mm:ss.fff} UTC) to be consumed, {Interlocked.Read(ref received):N0} so far", throwOnTimeout: false);

        var min = Interlocked.Read(ref minLate);
        return new Lateness(
            recorder.Summarize(),
            min == long.MaxValue ? double.NaN : min / (double)TimeSpan.TicksPerMillisecond,
            Interlocked.Read(ref acked),
            Interlocked.Read(ref errors),
            Interlocked.Read(ref storedAfterDue),
            Interlocked.Read(ref early),
            Interlocked.Read(ref acked) - Interlocked.Read(ref received),
            Interlocked.Read(ref duplicates));
    }

    /// <summary>Kills the broker with the timers pending, restarts it on the same data and times until its stats show them again.</summary>
    private async Task<Recovery> RecoverAsync(BenchSilo silo, long expected)
    {
        Console.Error.WriteLine($"W5: killing the broker and restarting it with {expected:N0} timers pending ...");
        var started = await silo.RestartAsync(RestartTimeout);
        var gateway = Now;
        await using var restarted = await MqClient.ConnectAsync(new MqClientOptions
        {
            Gateways = [$"127.0.0.1:{silo.GatewayPort}"],
            ClusterId = silo.ClusterId,
            ResponseTimeout = TimeSpan.FromSeconds(30),
        });
        var pending = await WaitPendingAsync(restarted, expected, RestartTimeout, "the restarted broker to report its timers as pending again");
        var ready = Now;
        double index = double.NaN;
        using (var log = new StreamReader(new FileStream(silo.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite)))
        {
            if (RecoveredLine().Match(await log.ReadToEndAsync()) is { Success: true } match)
            {
                index = double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }

        var recovery = new Recovery((gateway - started) / Frequency, (ready - started) / Frequency, index, pending);
        Console.Error.WriteLine($"W5: gateway open after {recovery.GatewaySeconds:F1} s, {pending:N0} timers pending after {recovery.ReadySeconds:F1} s (index rebuilt in {index} ms)");
        return recovery;
    }

    /// <summary>Polls the live brokers' stats until at least <paramref name="expected"/> timers are pending; throws naming what it saw on timeout.</summary>
    private static async Task<long> WaitPendingAsync(MqClient target, long expected, TimeSpan timeout, string what)
    {
        var deadline = Now + Ticks(timeout.TotalSeconds);
        long pending = -1;
        string? failure = null;
        while (true)
        {
            try
            {
                pending = await PendingTimersAsync(target);
                failure = null;
            }
            catch (Exception e)
            {
                // A restarted broker refuses calls until it is active; keep polling until the deadline.
                failure = $"{e.GetType().Name}: {e.Message}";
            }

            if (pending >= expected)
            {
                return pending;
            }

            if (Now > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}: expected at least {expected:N0} pending timers, "
                    + $"the broker stats report {pending:N0}" + (failure is null ? "." : $" (last call failed: {failure})."));
            }

            await Task.Delay(200);
        }
    }

    private static Task<long> PendingTimersAsync(MqClient target) =>
        SumOverLiveBrokersAsync(target, async broker => (await target.Admin.GetBrokerStatsAsync(broker)).PendingTimers);

    private readonly record struct TimerLoad(long Acked, double Seconds, long Errors, CpuUsage Cpu);

    private readonly record struct Lateness(LatencySummary Summary, double MinMilliseconds, long Acked, long Errors, long StoredAfterDue, long Early, long Missing, long Duplicates);

    private readonly record struct Recovery(double GatewaySeconds, double ReadySeconds, double IndexMilliseconds, long Pending);
}
