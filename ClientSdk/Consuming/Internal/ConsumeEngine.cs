using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OrleansMq.Client.Messages;
using OrleansMq.Grains.Messages;

namespace OrleansMq.Client.Consuming.Internal;

/// <summary>
/// Runs the listener. Concurrent listeners get a bounded pool of <see cref="PushConsumerOptions.ConsumeThreads"/>
/// workers fed by a channel whose contents are bounded by the per-queue cache limits; orderly listeners run one loop
/// per queue.
/// A failed concurrent batch is delivered again after a growing pause and stays cached meanwhile, so the committed
/// offset never moves past it.
/// </summary>
internal sealed partial class ConsumeEngine : IAsyncDisposable
{
    /// <summary>Soft cap on bytes per pull.</summary>
    public const int PullMaxBytes = 4 * 1024 * 1024;

    private static readonly TimeSpan MaxReconsumeBackoff = TimeSpan.FromMinutes(1);

    private readonly MessageListenerConcurrently? _concurrently;
    private readonly MessageListenerOrderly? _orderly;
    private readonly Channel<ConsumeRequest>? _requests;
    private readonly Task[] _workers = [];
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ILogger _logger;

    public ConsumeEngine(IClusterClient client, PushConsumerOptions options, MessageListenerConcurrently? concurrently, MessageListenerOrderly? orderly, ILogger logger)
    {
        Client = client;
        Options = options;
        _logger = logger;
        _concurrently = concurrently;
        _orderly = orderly;
        if (concurrently is not null)
        {
            // Unbounded on purpose: what can be queued here is already bounded by each queue's ProcessQueue thresholds
            // (PullThresholdForQueue / PullThresholdSizeForQueue), which pause the pull loops. A small bound here would
            // stall every pull loop behind the slowest dispatch: with 2 x threads slots, W3 catch-up was capped at
            // ~512 buffered messages across all queues.
            _requests = Channel.CreateUnbounded<ConsumeRequest>(new UnboundedChannelOptions
            {
                SingleReader = false,
                SingleWriter = false,
            });
            _workers = new Task[options.ConsumeThreads];
            for (var i = 0; i < _workers.Length; i++)
            {
                _workers[i] = Task.Run(WorkerAsync);
            }
        }
    }

    public IClusterClient Client { get; }

    public PushConsumerOptions Options { get; }

    public ILogger Logger => _logger;

    public bool IsOrderly => _orderly is not null;

    /// <summary>Cancelled when the consumer is shut down hard; passed to listeners.</summary>
    public CancellationToken ShutdownToken => _shutdown.Token;

    public QueueConsumer CreateQueue(MessageQueue queue, long lease, FilterExpression filter) => new(this, queue, lease, filter);

    public async ValueTask DispatchAsync(QueueConsumer queue, IReadOnlyList<ReceivedMessage> messages, CancellationToken cancellationToken)
    {
        if (_requests is null)
        {
            queue.SignalOrderly();
            return;
        }

        var size = Options.ConsumeBatchSize;
        if (messages.Count <= size)
        {
            await _requests.Writer.WriteAsync(new ConsumeRequest(queue, messages, 0), cancellationToken);
            return;
        }

        for (var start = 0; start < messages.Count; start += size)
        {
            var batch = new ReceivedMessage[Math.Min(size, messages.Count - start)];
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = messages[start + i];
            }

            await _requests.Writer.WriteAsync(new ConsumeRequest(queue, batch, 0), cancellationToken);
        }
    }

    /// <summary>Runs the orderly listener; true when the batch was consumed.</summary>
    public async Task<bool> ConsumeOrderlyAsync(QueueConsumer queue, List<ReceivedMessage> batch, ConsumeOrderlyContext context)
    {
        queue.BeginExecute();
        try
        {
            return await _orderly!(batch, context, _shutdown.Token) == ConsumeOrderlyStatus.Success;
        }
        catch (Exception e)
        {
            LogListenerThrew(queue.Queue.ToString(), e);
            return false;
        }
        finally
        {
            queue.EndExecute();
        }
    }

    private async Task WorkerAsync()
    {
        await foreach (var request in _requests!.Reader.ReadAllAsync())
        {
            var queue = request.Queue;
            if (queue.ProcessQueue.Dropped)
            {
                continue; // The queue moved on; the next holder consumes these.
            }

            queue.BeginExecute();
            ConsumeConcurrentlyStatus status;
            try
            {
                status = await _concurrently!(request.Messages, new ConsumeConcurrentlyContext(queue.Queue), _shutdown.Token);
            }
            catch (Exception e)
            {
                LogListenerThrew(queue.Queue.ToString(), e);
                status = ConsumeConcurrentlyStatus.ReconsumeLater;
            }
            finally
            {
                queue.EndExecute();
            }

            if (status == ConsumeConcurrentlyStatus.ConsumeSuccess)
            {
                queue.ProcessQueue.Remove(request.Messages);
            }
            else
            {
                _ = RetryAsync(request);
            }
        }
    }

    /// <summary>
    /// A failed batch goes back to the broker (clustering): each message moves to the group's retry topic with a
    /// growing delay, or to its dead-letter topic after <see cref="MaxReconsumeConcurrently"/> attempts, and counts as
    /// consumed here. What cannot be sent back is delivered again locally; nothing is dropped.
    /// </summary>
    private async Task RetryAsync(ConsumeRequest request)
    {
        if (Options.Mode == Grains.Consumers.ConsumeMode.Clustering)
        {
            var sentBack = await SendBackAsync(request.Messages, deadLetter: false);
            if (sentBack.Count > 0)
            {
                request.Queue.ProcessQueue.Remove(sentBack);
            }

            if (sentBack.Count == request.Messages.Count)
            {
                return;
            }

            request = request with { Messages = request.Messages.Where(m => !sentBack.Contains(m)).ToArray() };
        }

        await RedeliverLaterAsync(request with { Attempt = request.Attempt + 1 });
    }

    /// <summary>Reconsume attempts before the DLQ for concurrent listeners (RocketMQ: 16).</summary>
    public int MaxReconsumeConcurrently => Options.MaxReconsumeTimes < 0 ? 16 : Options.MaxReconsumeTimes;

    /// <summary>Reconsume attempts before the DLQ for orderly listeners (RocketMQ: unlimited).</summary>
    public int MaxReconsumeOrderly => Options.MaxReconsumeTimes < 0 ? int.MaxValue : Options.MaxReconsumeTimes;

    /// <summary>Moves messages to the retry or dead-letter topic on the brokers that store them; returns those that moved.</summary>
    public async Task<List<ReceivedMessage>> SendBackAsync(IReadOnlyList<ReceivedMessage> messages, bool deadLetter)
    {
        var moved = new List<ReceivedMessage>(messages.Count);
        foreach (var message in messages)
        {
            try
            {
                var result = await Client.GetGrain<Grains.IBrokerGrain>(message.Broker).SendBackAsync(
                    new Grains.Messages.SendBackRequest(Options.ConsumerGroup, message.LogOffset, deadLetter ? 0 : MaxReconsumeConcurrently, deadLetter));
                LogSentBack(message.MessageId, result.Topic, result.ReconsumeTimes, result.DelayLevel);
                moved.Add(message);
            }
            catch (Exception e)
            {
                LogSendBackFailed(message.MessageId, message.Broker, e.Message);
            }
        }

        return moved;
    }

    /// <summary>Delivers a failed batch again after 1 s, 2 s, 4 s … (at most one minute); it is never dropped.</summary>
    private async Task RedeliverLaterAsync(ConsumeRequest request)
    {
        var pause = TimeSpan.FromTicks(Math.Min(Options.ReconsumeBackoff.Ticks << Math.Min(request.Attempt - 1, 16), MaxReconsumeBackoff.Ticks));
        LogReconsumeLater(request.Queue.Queue.ToString(), request.Messages.Count, request.Attempt, pause);
        try
        {
            await Task.Delay(pause, request.Queue.Stopping);
            await _requests!.Writer.WriteAsync(request, request.Queue.Stopping);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // The queue stopped: the messages stay uncommitted and are consumed by whoever holds the queue next.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _requests?.Writer.TryComplete();
        await _shutdown.CancelAsync();
        await Task.WhenAll(_workers);
        _shutdown.Dispose();
    }

    [LoggerMessage(1, LogLevel.Warning, "Listener threw for messages of {Queue}; they will be consumed again")]
    private partial void LogListenerThrew(string queue, Exception exception);

    [LoggerMessage(3, LogLevel.Debug, "Message {MessageId} sent back to {Topic} (reconsume {ReconsumeTimes}, delay level {DelayLevel})")]
    private partial void LogSentBack(string messageId, string topic, int reconsumeTimes, int delayLevel);

    [LoggerMessage(4, LogLevel.Warning, "Sending message {MessageId} back to broker {Broker} failed ({Reason}); it will be consumed again locally")]
    private partial void LogSendBackFailed(string messageId, string broker, string reason);

    [LoggerMessage(2, LogLevel.Debug, "{Count} messages of {Queue} failed (attempt {Attempt}); delivering again in {Pause}")]
    private partial void LogReconsumeLater(string queue, int count, int attempt, TimeSpan pause);
}
