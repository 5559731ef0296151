namespace OrleansMq.Client.Producing;

/// <summary>Settings of a <see cref="Producer"/>. Defaults follow RocketMQ where it has one.</summary>
public sealed record ProducerOptions
{
    /// <summary>Producer group (used for transaction check-back). Default <c>DEFAULT_PRODUCER</c>.</summary>
    public string ProducerGroup { get; init; } = "DEFAULT_PRODUCER";

    /// <summary>Timeout of one attempt to store a batch. Default 3 s (RocketMQ sendMsgTimeout).</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Retries on another broker after a failed attempt. Default 2, so at most 3 attempts (RocketMQ retryTimesWhenSendFailed).</summary>
    public int RetryTimes { get; init; } = 2;

    /// <summary>
    /// Pause before each retry (Kafka's <c>retry.backoff.ms</c>). Default 100 ms: long enough for the client to stop
    /// routing through a gateway that just died, so the retries do not all fail on the same dead connection.
    /// </summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a broker that failed is skipped when choosing queues. Default 30 s.</summary>
    public TimeSpan BrokerFaultBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Extra time a queue's batch waits for more messages before it is sent. Default zero: a queue sends as soon as it
    /// has no batch in flight, and messages that arrive meanwhile form the next batch, so batches grow with load
    /// without adding latency at low load.
    /// </summary>
    public TimeSpan Linger { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// How messages without a sharding key are spread over a topic's queues. Default <see cref="QueueSelection.Sticky"/>
    /// (as in Kafka): with round-robin over a topic of 1,000 queues and 1,000 messages in flight, every batch held one
    /// message and throughput fell to 0.65-0.8 of a 16-queue topic's (docs/benchmarks.md, W4).
    /// </summary>
    public QueueSelection QueueSelection { get; init; } = QueueSelection.Sticky;

    /// <summary>
    /// With <see cref="QueueSelection.Sticky"/>, the most bytes (properties and bodies) sent to one queue before the next
    /// queue is chosen. Default 1 MiB: smaller spreads bursts over more queues, larger makes fewer, larger batches.
    /// Each turn on a queue starts with a small batch (the queue was idle), so longer turns cost less per message
    /// (1 MiB against 256 KiB in alternating rounds: W4, 1,000 queues, +9% over thirteen, ahead in ten; W1, 16
    /// queues, −3% over sixteen, within the rounds' spread; docs/benchmarks.md). Also bounds the load below which a
    /// message goes to an idle queue rather than wait behind its queue's batch in flight: while the producer has fewer
    /// bytes in flight than this or 256 KiB, whichever is less.
    /// </summary>
    public int StickyQueueBytes { get; init; } = 1024 * 1024;

    /// <summary>Largest batch in bytes of encoded messages. Default 1 MiB.</summary>
    public int MaxBatchBytes { get; init; } = 1024 * 1024;

    /// <summary>Most messages in one batch. Default 1,024.</summary>
    public int MaxBatchMessages { get; init; } = 1024;

    /// <summary>Most batches <see cref="MaxInFlightBatchesPerQueue"/> allows with <see cref="EnableIdempotence"/> (Kafka's limit too).</summary>
    public const int MaxInFlightBatchesWithIdempotence = 5;

    private const int DefaultInFlightBatchesWithIdempotence = 4;

    /// <summary>
    /// Batches in flight per queue: a queue's next batch leaves while earlier ones are still being stored, instead of
    /// waiting for their answer. Default 4 with <see cref="EnableIdempotence"/> (the queue still stores them in send
    /// order), 1 without it (batches in flight together may be stored in either order); at most
    /// <see cref="MaxInFlightBatchesWithIdempotence"/> with idempotence.
    /// </summary>
    /// <remarks>
    /// Batches leave in send order, but Orleans may deliver two calls to a queue in either order (a silo dispatches
    /// the messages it reads from a connection on the thread pool). With idempotence the queue accepts each batch only
    /// behind the previous one, waiting for it, so a queue's messages are still stored in send order; without
    /// idempotence, batches in flight together may be stored in either order, which is why that default stays 1. A
    /// batch that fails is retried after the ones sent behind it, so a failure can reorder its messages (also with one
    /// in flight: the retry follows newer sends). Four rather than Kafka's five: on loopback four gave W1 (16 queues)
    /// +8% over two in 19 alternating rounds and left W4 (ten topics of 100 queues) even; five left W4 7% below two
    /// (docs/benchmarks.md). Beside a batch in flight, the next one leaves only once it holds
    /// <see cref="MinPipelinedBatchBytes"/>.
    /// </remarks>
    public int MaxInFlightBatchesPerQueue
    {
        get => _maxInFlightBatchesPerQueue ?? (EnableIdempotence ? DefaultInFlightBatchesWithIdempotence : 1);
        init => _maxInFlightBatchesPerQueue = value;
    }

    // Unset: the default follows EnableIdempotence, whichever order the two are set in.
    private readonly int? _maxInFlightBatchesPerQueue;

    /// <summary>
    /// Least bytes (properties and bodies) a queue's batch gathers before it leaves while another batch of the queue is
    /// in flight (<see cref="MaxInFlightBatchesPerQueue"/> above 1); a batch to a queue with none in flight leaves at
    /// once. Default 32 KiB; 0 sends every batch a free slot allows.
    /// </summary>
    /// <remarks>
    /// A further batch in flight saves its messages the wait for the earlier one's answer, but every batch costs both
    /// ends a call, a store request and an answer whatever its size. Spread over many queues (W4: ten topics of 100
    /// queues) the second slot otherwise sent batches of ~27 messages instead of ~45; with 32 KiB W4 ran 12% faster
    /// than with no minimum (six alternating rounds, ahead in five) and W1 no slower (docs/benchmarks.md).
    /// </remarks>
    public int MinPipelinedBatchBytes { get; init; } = 32 * 1024;

    /// <summary>Messages accepted but not yet acknowledged; further sends wait (backpressure). Default 10,000.</summary>
    public int MaxInFlightMessages { get; init; } = 10_000;

    /// <summary>Bytes accepted but not yet acknowledged; further sends wait. Default 64 MiB.</summary>
    public long MaxInFlightBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Largest body the producer accepts (checked before sending). Default 4 MiB (the broker default).</summary>
    public int MaxBodySize { get; init; } = 4 * 1024 * 1024;

    /// <summary>Largest encoded properties the producer accepts. Default 32 KiB (the broker default).</summary>
    public int MaxPropertiesSize { get; init; } = 32 * 1024;

    /// <summary>Latest delivery time the producer accepts for timer messages, relative to now. Default 30 days (the broker default).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Idempotent producer (Kafka's <c>enable.idempotence</c>): every message carries the producer's id and its sequence
    /// in its queue, and a queue stores each batch at most once. A batch sent again after a lost acknowledgement is
    /// answered with its original message ids instead of being stored twice. After an attempt whose outcome is unknown
    /// (a timeout, a lost connection) the batch is sent again, unchanged, to the same queue once; retries after that go
    /// to other brokers as without idempotence (availability first, so a duplicate is then possible). Allows
    /// <see cref="MaxInFlightBatchesPerQueue"/> up to <see cref="MaxInFlightBatchesWithIdempotence"/>. Default true, as in
    /// Kafka since 3.0; it adds 25 to 42 bytes per message. See <c>docs/transactions.md</c>.
    /// </summary>
    public bool EnableIdempotence { get; init; } = true;

    /// <summary>Returns the problems with these options, naming each option and its allowed range.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Grains.Naming.NameValidator.ValidateGroup(ProducerGroup) is { } group)
        {
            errors.Add($"ProducerOptions.ProducerGroup: {group}");
        }

        Check(errors, SendTimeout > TimeSpan.Zero && SendTimeout <= TimeSpan.FromMinutes(5), $"ProducerOptions.SendTimeout is {SendTimeout}; it must be above zero and at most 00:05:00.");
        Check(errors, RetryTimes is >= 0 and <= 16, $"ProducerOptions.RetryTimes is {RetryTimes}; it must be between 0 and 16.");
        Check(errors, RetryBackoff >= TimeSpan.Zero && RetryBackoff <= TimeSpan.FromSeconds(10), $"ProducerOptions.RetryBackoff is {RetryBackoff}; it must be between 0 and 00:00:10.");
        Check(errors, BrokerFaultBackoff >= TimeSpan.Zero, $"ProducerOptions.BrokerFaultBackoff is {BrokerFaultBackoff}; it may not be negative.");
        Check(errors, Linger >= TimeSpan.Zero && Linger <= TimeSpan.FromSeconds(1), $"ProducerOptions.Linger is {Linger}; it must be between 0 and 00:00:01.");
        Check(errors, MaxBatchBytes is >= 1024 and <= 64 * 1024 * 1024, $"ProducerOptions.MaxBatchBytes is {MaxBatchBytes}; it must be between 1024 and 67108864.");
        Check(errors, Enum.IsDefined(QueueSelection), $"ProducerOptions.QueueSelection is {QueueSelection}; it must be Sticky or RoundRobin.");
        Check(errors, StickyQueueBytes is >= 1 and <= 64 * 1024 * 1024, $"ProducerOptions.StickyQueueBytes is {StickyQueueBytes}; it must be between 1 and 67108864.");
        Check(errors, MaxBatchMessages is >= 1 and <= 65_536, $"ProducerOptions.MaxBatchMessages is {MaxBatchMessages}; it must be between 1 and 65536.");
        Check(errors, MaxInFlightBatchesPerQueue is >= 1 and <= 64, $"ProducerOptions.MaxInFlightBatchesPerQueue is {MaxInFlightBatchesPerQueue}; it must be between 1 and 64.");
        Check(errors, !EnableIdempotence || MaxInFlightBatchesPerQueue <= MaxInFlightBatchesWithIdempotence,
            $"ProducerOptions.MaxInFlightBatchesPerQueue is {MaxInFlightBatchesPerQueue}; with EnableIdempotence it must be between 1 and {MaxInFlightBatchesWithIdempotence} "
            + "(a queue recognises a sent-again batch among its producer's last 10). Set EnableIdempotence = false for more.");
        Check(errors, MinPipelinedBatchBytes >= 0 && MinPipelinedBatchBytes <= MaxBatchBytes,
            $"ProducerOptions.MinPipelinedBatchBytes is {MinPipelinedBatchBytes}; it must be between 0 and MaxBatchBytes ({MaxBatchBytes}).");
        Check(errors, MaxInFlightMessages >= 1, $"ProducerOptions.MaxInFlightMessages is {MaxInFlightMessages}; it must be at least 1.");
        Check(errors, MaxInFlightBytes >= 1024, $"ProducerOptions.MaxInFlightBytes is {MaxInFlightBytes}; it must be at least 1024.");
        Check(errors, MaxBodySize is >= 1 and <= 256 * 1024 * 1024, $"ProducerOptions.MaxBodySize is {MaxBodySize}; it must be between 1 and 268435456.");
        Check(errors, MaxPropertiesSize is >= 64 and <= 1024 * 1024, $"ProducerOptions.MaxPropertiesSize is {MaxPropertiesSize}; it must be between 64 and 1048576.");
        return errors;
    }

    private static void Check(List<string> errors, bool ok, string error)
    {
        if (!ok)
        {
            errors.Add(error);
        }
    }
}
