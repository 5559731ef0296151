using OrleansMq.Client.Messages;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Client.Producing;

/// <summary>A message accepted by the producer and not yet acknowledged, with how to report its outcome.</summary>
internal sealed class PendingSend
{
    public required string Topic { get; init; }

    /// <summary>The encoded properties without the unique key and sequence, which are written with the batch (often empty).</summary>
    public required byte[] Properties { get; init; }

    public required ReadOnlyMemory<byte> Body { get; init; }

    public required UniqueKeyGenerator.UniqueKey UniqueKey { get; init; }

    public required long BornTimestamp { get; init; }

    public MessageFlags Flags { get; init; }

    /// <summary>Bytes charged to the in-flight limiter.</summary>
    public required int Size { get; init; }

    /// <summary>Awaited by <see cref="Producer.SendAsync"/>; null for callback and one-way sends.</summary>
    public TaskCompletionSource<SendResult>? Completion { get; init; }

    public SendCallback? Callback { get; init; }

    /// <summary>A stored send's result, waiting to be set on <see cref="Completion"/> by the batch's completion item (a field for Interlocked).</summary>
    public SendResult? DeferredResult;

    /// <summary>One-way: no retries, outcome dropped.</summary>
    public bool Oneway { get; init; }

    /// <summary>A fixed queue (ordered messages); null lets the producer choose.</summary>
    public int? FixedQueueId { get; init; }

    /// <summary>Attempts made so far.</summary>
    public int Attempt { get; set; }

    /// <summary>Broker of the last failed attempt, avoided by the next one.</summary>
    public string? AvoidBroker { get; set; }

    /// <summary>Why the last attempt failed.</summary>
    public Exception? LastError { get; set; }
}
