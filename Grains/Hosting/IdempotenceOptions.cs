namespace OrleansMq.Grains.Hosting;

/// <summary>Broker side of the idempotent producer (configuration section <c>OrleansMq:Idempotence</c>).</summary>
/// <remarks>
/// A queue remembers, per producer, the last sequence it stored and the results of that producer's last batches
/// (in memory). When a queue grain activates (after deactivation or a broker restart) it rebuilds that state from
/// the <see cref="RecoveryRecords"/> newest records of the queue, which carry their producer id and sequence.
/// </remarks>
public sealed class IdempotenceOptions
{
    /// <summary>Configuration section.</summary>
    public const string SectionName = "OrleansMq:Idempotence";

    /// <summary>
    /// Newest records of a queue read to rebuild producer state when the queue sees its first idempotent batch after
    /// activation. Default 8,192: a retry after a restart is for a batch stored just before it, so it lies among
    /// the last records unless thousands of other messages were stored to the same queue after it.
    /// </summary>
    public int RecoveryRecords { get; set; } = 8192;

    /// <summary>
    /// Producers remembered per queue; beyond it the least recently seen is forgotten (its next batch is accepted
    /// as from a new producer). Default 1,024.
    /// </summary>
    public int MaxProducersPerQueue { get; set; } = 1024;

    /// <summary>
    /// How long a batch that arrives ahead of its producer's earlier batches waits for them before the queue decides
    /// without them. A producer with several batches in flight per queue sends them in order, but Orleans may deliver
    /// them out of order (a silo hands each message it reads from a connection to the thread pool, so two calls to one
    /// grain can swap; in W1 with two in flight, 13% of batches waited, 90 µs on average). After the wait a known
    /// producer's gap is refused (<c>OutOfOrderSequence</c>: nothing stored, the producer retries), and an unknown
    /// producer's batch is accepted (the queue forgot it). Default 500 ms.
    /// </summary>
    public TimeSpan GapWait { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Returns the problems, naming each option, its value and the allowed range.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (RecoveryRecords is < 0 or > 1_000_000)
        {
            errors.Add($"IdempotenceOptions.RecoveryRecords is {RecoveryRecords}; it must be between 0 and 1000000.");
        }

        if (MaxProducersPerQueue is < 1 or > 1_000_000)
        {
            errors.Add($"IdempotenceOptions.MaxProducersPerQueue is {MaxProducersPerQueue}; it must be between 1 and 1000000.");
        }

        if (GapWait < TimeSpan.Zero || GapWait > TimeSpan.FromMinutes(1))
        {
            errors.Add($"IdempotenceOptions.GapWait is {GapWait}; it must be between 00:00:00 and 00:01:00.");
        }

        return errors;
    }
}
