using OrleansMq.Client.Internal;
using OrleansMq.Grains;
using OrleansMq.Grains.Messages;

namespace OrleansMq.Client.Producing;

/// <summary>A batch a queue sender has sent and is waiting on: its messages, the encoded request and the call in flight.</summary>
/// <remarks>
/// Used by one send loop at a time. Owns the pooled buffer behind <see cref="Request"/>, returned by <see cref="Dispose"/>
/// once no attempt of the call is in flight any more.
/// </remarks>
internal sealed class SentBatch(List<PendingSend> batch, PooledBufferWriter buffer, AppendRequest request) : IDisposable
{
    private CancellationTokenSource? _timeout;

    /// <summary>The messages, in the order of their sequences.</summary>
    public List<PendingSend> Batch { get; } = batch;

    /// <summary>The request, sent unchanged by every attempt.</summary>
    public AppendRequest Request { get; } = request;

    /// <summary>The current attempt (set by <see cref="Start"/>, called right after construction).</summary>
    public Task<AppendResponse> Call { get; private set; } = null!;

    /// <summary>When the current attempt started, for the batch latency meter (0 when nobody listens).</summary>
    public long Started { get; private set; }

    /// <summary>Sends the request (again), cancelled after <paramref name="timeout"/>.</summary>
    public void Start(IMessageQueueGrain grain, TimeSpan timeout)
    {
        _timeout?.Dispose();
        _timeout = new CancellationTokenSource(timeout);
        Started = ProducerInstruments.Start();
        Call = grain.AppendAsync(Request, _timeout.Token);
    }

    public void Dispose()
    {
        _timeout?.Dispose();
        buffer.Dispose();
    }
}
