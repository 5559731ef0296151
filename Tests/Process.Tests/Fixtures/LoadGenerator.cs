using System.Collections.Concurrent;
using OrleansMq.Client.Messages;
using OrleansMq.Client.Producing;
using OrleansMq.TestKit;

namespace OrleansMq.Process.Tests.Fixtures;

/// <summary>
/// Steady produce load: <c>workers</c> loops each awaiting one <see cref="Producer.SendAsync"/> after another with
/// bodies <c>w{worker}-{n}</c>, recording every acknowledgement and every failed send (an exception out of
/// <see cref="Producer.SendAsync"/> after the producer's own retries).
/// </summary>
public sealed class LoadGenerator : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, SendResult> _acked = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;

    private LoadGenerator(Producer producer, string topic, int workers)
    {
        _workers = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            var worker = w;
            _workers[w] = Task.Run(() => RunAsync(producer, topic, worker));
        }
    }

    /// <summary>Acknowledged messages so far, by body.</summary>
    public IReadOnlyDictionary<string, SendResult> Acked => _acked;

    /// <summary>Number of acknowledged messages.</summary>
    public int AckCount => _acked.Count;

    /// <summary>Sends that failed after all retries, with the reason.</summary>
    public IReadOnlyCollection<string> Failures => _failures;

    /// <summary>Starts <paramref name="workers"/> sending loops.</summary>
    public static LoadGenerator Start(Producer producer, string topic, int workers) => new(producer, topic, workers);

    /// <summary>Waits until at least <paramref name="count"/> messages have been acknowledged in total.</summary>
    public Task WaitForAcksAsync(int count, string why, TimeSpan? timeout = null) =>
        Wait.UntilAsync(() => AckCount >= count, $"{count} acknowledged sends ({why})", timeout ?? TimeSpan.FromSeconds(60), () => $"{AckCount} acked, {_failures.Count} failed");

    /// <summary>Stops the loops and waits for the sends in flight to finish.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Wait.ForAsync(Task.WhenAll(_workers), "the load generator's in-flight sends to finish", TimeSpan.FromSeconds(60));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    private async Task RunAsync(Producer producer, string topic, int worker)
    {
        for (var n = 0; !_stop.IsCancellationRequested; n++)
        {
            var body = $"w{worker}-{n}";
            try
            {
                _acked[body] = await producer.SendAsync(new Message(topic, body));
            }
            catch (Exception e) when (e is MqSendException or TimeoutException or OrleansException or OperationCanceledException)
            {
                _failures.Enqueue($"{body}: {e.GetType().Name}: {e.Message}");
            }
        }
    }
}
