using System.Diagnostics;
using OrleansMq.Benchmarks.Common;
using OrleansMq.Client.Consuming;
using OrleansMq.Client.Hosting;
using OrleansMq.Client.Messages;
using OrleansMq.Client.Producing;
using OrleansMq.Grains.Consumers;

namespace OrleansMq.Benchmarks.Workload;

/// <summary>
/// The OpenMessaging-style workloads of issue #8, the same as <c>shared/peerbench</c> runs against NATS JetStream,
/// RabbitMQ and Redis Streams: W1 max durable publish, W2 end-to-end latency at a fixed rate, W3 catch-up of a
/// backlog, W4 = W1 over 1,000 queues; and W5 (timer messages at scale, <c>Workloads.Timers.cs</c>). Every loop ends
/// on a deadline and a count.
/// </summary>
internal sealed partial class Workloads(MqClient client, WorkloadSettings settings, CpuMeter cpu)
{
    private static readonly double Frequency = Stopwatch.Frequency;

    private static long Now => Stopwatch.GetTimestamp();

    /// <summary>CPU snapshots at the start and the end of the measurement window (after the warm-up).</summary>
    private async Task<(CpuMeter.Snapshot From, CpuMeter.Snapshot To)> MeasureWindowCpuAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(settings.Warmup));
        var from = cpu.Take();
        await Task.Delay(TimeSpan.FromSeconds(settings.Seconds));
        return (from, cpu.Take());
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>The producer settings of every workload: twice the sends in flight (never the limit), the chosen queue selection.</summary>
    private ProducerOptions ProducerOptions() => WithPipelining(new()
    {
        MaxInFlightMessages = settings.InFlight * 2,
        QueueSelection = settings.QueueSelection,
        StickyQueueBytes = settings.StickyQueueBytes,
        EnableIdempotence = settings.Idempotence,
    });

    /// <summary>The options with the pipelining settings given on the command line, if any (else the SDK's defaults).</summary>
    private ProducerOptions WithPipelining(ProducerOptions options)
    {
        options = settings.BatchesInFlight is { } batches ? options with { MaxInFlightBatchesPerQueue = batches } : options;
        return settings.MinPipelinedBatchBytes is { } bytes ? options with { MinPipelinedBatchBytes = bytes } : options;
    }

    private static long Ticks(double seconds) => (long)(seconds * Frequency);

    private double MiB(double messagesPerSecond) => messagesPerSecond * settings.Size / (1024.0 * 1024.0);

    /// <summary>W1 (1 topic × 16 queues) or W4 (10 topics × 100 queues): publish as fast as acks return, at most InFlight outstanding.</summary>
    public async Task<WorkloadResult> MaxPublishAsync(string name, int topics, int queuesPerTopic)
    {
        var names = new string[topics];
        for (var t = 0; t < topics; t++)
        {
            names[t] = $"bench-{name.ToLowerInvariant()}-{t}-{Guid.NewGuid():N}"[..40];
            await client.Admin.CreateTopicAsync(names[t], queuesPerTopic);
        }

        await using var producer = client.CreateProducer(ProducerOptions());
        var payload = Payload.Random(settings.Size);
        var latency = new LatencyRecorder(20_000_000);
        var slots = new SemaphoreSlim(settings.InFlight, settings.InFlight);
        long from = Now + Ticks(settings.Warmup), to = from + Ticks(settings.Seconds);
        long acked = 0, errors = 0, sent = 0, warmupMax = 0;

        // Acknowledgements per second from the first send, warm-up included: shows how long fresh processes take to
        // reach their steady rate (JIT tiering), which the window's average alone hides. Sampled once a second as sends
        // minus sends in flight, so the send path pays nothing for it (a shared counter per ack cost the client ~5%).
        var perSecond = new long[(int)Math.Ceiling(settings.Warmup + settings.Seconds)];
        var timeline = Task.Run(async () =>
        {
            using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
            long previous = 0;
            for (var i = 0; i < perSecond.Length && await tick.WaitForNextTickAsync(); i++)
            {
                var done = Volatile.Read(ref sent) - (settings.InFlight - slots.CurrentCount);
                perSecond[i] = done - previous;
                previous = done;
            }
        });
        string? firstError = null;
        using var batches = new BatchSizeListener();
        var cpuWindow = MeasureWindowCpuAsync();

        async Task CompleteAsync(Task<SendResult> send, long t0)
        {
            try
            {
                await send;
                var t1 = Now;
                if (t1 >= from && t1 < to)
                {
                    Interlocked.Increment(ref acked);
                }

                // Latency of sends started in the window only: sends started during warm-up include the first
                // activation of every queue (reported apart as warmup_max_ms).
                if (t0 >= from)
                {
                    latency.Record(t1 - t0);
                }
                else
                {
                    InterlockedMax(ref warmupMax, t1 - t0);
                }
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

        while (Now < to)
        {
            await slots.WaitAsync();
            var t0 = Now;
            _ = CompleteAsync(producer.SendAsync(new Message(names[sent % topics], payload)), t0);
            sent++;
        }

        var (cpuFrom, cpuTo) = await cpuWindow;
        await DrainAsync(slots, settings.InFlight);
        await timeline;
        var rate = Interlocked.Read(ref acked) / settings.Seconds;
        var result = new WorkloadResult(name);
        result.Add("msgs_per_s", Math.Round(rate));
        result.Add("mb_per_s", Math.Round(MiB(rate), 1));
        result.AddLatency("pub", latency.Summarize());
        result.Add("warmup_max_ms", Math.Round(warmupMax * 1000.0 / Frequency, 1));
        result.Add("queues", topics * queuesPerTopic);
        result.Add("sent", sent);
        result.Add("errors", errors);
        result.AddCpu(cpu.Measure(cpuFrom, cpuTo));
        result.Add("batch_msgs_mean", Math.Round(batches.Mean, 1));
        result.Add("batch_rtt_ms_mean", Math.Round(batches.MeanRoundTripMs, 2));
        result.Add("acked_k_per_s", string.Join(',', perSecond.Select(n => (n / 1000).ToString(System.Globalization.CultureInfo.InvariantCulture))));
        if (firstError is not null)
        {
            Console.Error.WriteLine($"{name}: first send error: {firstError}");
        }

        return result;
    }

    /// <summary>W2: a producer paced at Rate msgs/s, one push consumer; publish and end-to-end latency of messages sent in the window.</summary>
    public async Task<WorkloadResult> FixedRateAsync()
    {
        var topic = $"bench-w2-{Guid.NewGuid():N}"[..30];
        await client.Admin.CreateTopicAsync(topic, 16);
        var template = Payload.Random(settings.Size);
        var capacity = (int)Math.Min(20_000_000L, (long)(settings.Rate * (settings.Warmup + settings.Seconds + 10)));
        var publish = new LatencyRecorder(capacity);
        var endToEnd = new LatencyRecorder(capacity, timed: true);
        long from = long.MaxValue, to = long.MaxValue, received = 0;

        await using var consumer = client.CreatePushConsumer(new PushConsumerOptions
        {
            ConsumerGroup = $"bench-w2-{Guid.NewGuid():N}"[..30],
            ConsumeFrom = ConsumeFromWhere.FirstOffset,
            CommitInterval = TimeSpan.FromSeconds(1),
        });
        consumer.Subscribe(topic);
        consumer.RegisterMessageListener((messages, context, ct) =>
        {
            var now = Now;
            foreach (var message in messages)
            {
                var (_, sendTicks) = Payload.Read(message.Body.Span);
                if (sendTicks >= Volatile.Read(ref from) && sendTicks < Volatile.Read(ref to))
                {
                    endToEnd.Record(now - sendTicks, sendTicks);
                    Interlocked.Increment(ref received);
                }
            }

            return Task.FromResult(ConsumeConcurrentlyStatus.ConsumeSuccess);
        });
        await consumer.StartAsync();
        await WaitAsync(() => consumer.AssignedQueues.Count(q => q.Topic == topic) == 16, TimeSpan.FromSeconds(30), "the W2 consumer to hold the topic's 16 queues");

        // The SDK's defaults, but for the queue selection and pipelining options (which default to the SDK's too).
        await using var producer = client.CreateProducer(WithPipelining(new ProducerOptions
        {
            QueueSelection = settings.QueueSelection,
            StickyQueueBytes = settings.StickyQueueBytes,
            EnableIdempotence = settings.Idempotence,
        }));
        var slots = new SemaphoreSlim(settings.InFlight, settings.InFlight);
        long errors = 0, sentInWindow = 0, sequence = 0;
        var start = Now;
        Volatile.Write(ref from, start + Ticks(settings.Warmup));
        Volatile.Write(ref to, from + Ticks(settings.Seconds));
        var cpuWindow = MeasureWindowCpuAsync();

        async Task CompleteAsync(Task<SendResult> send, long t0, bool inWindow)
        {
            try
            {
                await send;
                if (inWindow)
                {
                    publish.Record(Now - t0);
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

        while (Now < to)
        {
            var due = (long)((Now - start) / Frequency * settings.Rate) + 1;
            while (sequence < due && Now < to)
            {
                var body = Payload.Stamped(template, sequence++);
                var inWindow = Payload.Read(body).SendTicks >= from;
                sentInWindow += inWindow ? 1 : 0;
                await slots.WaitAsync();
                _ = CompleteAsync(producer.SendAsync(new Message(topic, body)), Payload.Read(body).SendTicks, inWindow);
            }

            await Task.Delay(1);
        }

        var (cpuFrom, cpuTo) = await cpuWindow;
        await DrainAsync(slots, settings.InFlight);
        var expected = sentInWindow - Interlocked.Read(ref errors);
        await WaitAsync(() => Interlocked.Read(ref received) >= expected, TimeSpan.FromSeconds(15), "every W2 message to be consumed", throwOnTimeout: false);
        var achieved = sentInWindow / settings.Seconds;

        // Where in the window the tail sits (a new topic's first seconds or throughout), for the log only.
        Console.Error.WriteLine("W2 e2e by second of the window (p50/p99/max ms): " + string.Join(", ",
            endToEnd.Timeline(from).Select(t => $"{t.Second}: {t.Summary.P50:F1}/{t.Summary.P99:F1}/{t.Summary.Max:F0}")));
        var result = new WorkloadResult("W2");
        result.Add("target_rate", settings.Rate);
        result.Add("msgs_per_s", Math.Round(achieved));
        result.AddLatency("e2e", endToEnd.Summarize());
        result.AddLatency("pub", publish.Summarize());
        result.Add("sent", sentInWindow);
        result.Add("received", Interlocked.Read(ref received));
        result.Add("missing", sentInWindow - Interlocked.Read(ref received));
        result.Add("errors", Interlocked.Read(ref errors));
        result.AddCpu(cpu.Measure(cpuFrom, cpuTo));
        return result;
    }

    /// <summary>W3: pre-fill a backlog, then time one consumer reading all of it from the start.</summary>
    public async Task<WorkloadResult> CatchUpAsync()
    {
        var topic = $"bench-w3-{Guid.NewGuid():N}"[..30];
        await client.Admin.CreateTopicAsync(topic, 16);
        var payload = Payload.Random(settings.Size);
        long acked = 0, errors = 0;
        await using (var producer = client.CreateProducer(ProducerOptions()))
        {
            var slots = new SemaphoreSlim(settings.InFlight, settings.InFlight);
            var stop = Now + Ticks(settings.PrefillSeconds);
            long sent = 0;
            async Task CompleteAsync(Task<SendResult> send)
            {
                try
                {
                    await send;
                    Interlocked.Increment(ref acked);
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

            var fillStart = Now;
            while (sent < settings.Prefill && Now < stop)
            {
                await slots.WaitAsync();
                _ = CompleteAsync(producer.SendAsync(new Message(topic, payload)));
                sent++;
            }

            await DrainAsync(slots, settings.InFlight);
            Console.Error.WriteLine($"W3: prefilled {acked} messages in {(Now - fillStart) / Frequency:F1} s ({acked / ((Now - fillStart) / Frequency):F0} msgs/s)");
        }

        var backlog = Interlocked.Read(ref acked);
        long received = 0, last = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cpuFrom = cpu.Take();
        var start = Now;
        await using (var consumer = client.CreatePushConsumer(new PushConsumerOptions
        {
            ConsumerGroup = $"bench-w3-{Guid.NewGuid():N}"[..30],
            ConsumeFrom = ConsumeFromWhere.FirstOffset,
            PullBatchSize = 256,
            ConsumeBatchSize = 64,
            ConsumeThreads = 4,
            CommitInterval = TimeSpan.FromSeconds(1),
        }))
        {
            consumer.Subscribe(topic);
            consumer.RegisterMessageListener((messages, context, ct) =>
            {
                if (Interlocked.Add(ref received, messages.Count) >= backlog && done.TrySetResult())
                {
                    Volatile.Write(ref last, Now);
                }

                return Task.FromResult(ConsumeConcurrentlyStatus.ConsumeSuccess);
            });
            await consumer.StartAsync();
            await Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(settings.DrainSeconds)));
        }

        var cpuTo = cpu.Take();
        var complete = done.Task.IsCompleted;
        var seconds = ((complete ? Volatile.Read(ref last) : Now) - start) / Frequency;
        var rate = Math.Min(Interlocked.Read(ref received), backlog) / seconds;
        var result = new WorkloadResult("W3");
        result.Add("msgs_per_s", Math.Round(rate));
        result.Add("mb_per_s", Math.Round(MiB(rate), 1));
        result.Add("backlog", backlog);
        result.Add("received", Interlocked.Read(ref received));
        result.Add("complete", complete);
        result.Add("drain_s", Math.Round(seconds, 2));
        result.Add("prefill_errors", errors);
        result.AddCpu(cpu.Measure(cpuFrom, cpuTo));
        return result;
    }

    private static async Task DrainAsync(SemaphoreSlim slots, int capacity)
    {
        await WaitAsync(() => slots.CurrentCount == capacity, TimeSpan.FromSeconds(60), "outstanding sends to complete", throwOnTimeout: false);
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what, bool throwOnTimeout = true)
    {
        var deadline = Now + Ticks(timeout.TotalSeconds);
        while (!condition())
        {
            if (Now > deadline)
            {
                if (throwOnTimeout)
                {
                    throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}.");
                }

                Console.Error.WriteLine($"warning: timed out after {timeout.TotalSeconds:0} s waiting for {what}");
                return;
            }

            await Task.Delay(10);
        }
    }
}
