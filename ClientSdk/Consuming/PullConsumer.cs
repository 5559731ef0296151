using Microsoft.Extensions.Logging;
using OrleansMq.Client.Messages;
using OrleansMq.Client.Routing;
using OrleansMq.Grains;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Messages;
using OrleansMq.Client.Consuming.Internal;

namespace OrleansMq.Client.Consuming;

/// <summary>
/// Reads queues directly by offset. Two styles: <see cref="PullAsync"/> pulls one queue from an offset you track;
/// <see cref="Assign"/> + <see cref="PollAsync"/> keeps a long-polling pull outstanding on every assigned queue and
/// tracks positions for you (RocketMQ lite pull consumer with manual assignment).
/// </summary>
/// <remarks>
/// <see cref="PullAsync"/>, <see cref="GetQueuesAsync"/> and the offset methods are thread-safe. <see cref="Assign"/>,
/// <see cref="Seek"/> and <see cref="PollAsync"/> are meant for one consuming thread, like RocketMQ's poll.
/// </remarks>
public sealed partial class PullConsumer : IAsyncDisposable
{
    private readonly IClusterClient _client;
    private readonly RouteCache _routes;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<MessageQueue, QueueState> _assigned = [];
    private readonly Queue<ReceivedMessage> _buffer = new();

    // The last filter that compiled: callers pass the same filter on every pull, so it is checked once, not per pull.
    private FilterExpression? _validFilter;

    internal PullConsumer(IClusterClient client, RouteCache routes, PullConsumerOptions options, ILogger logger)
    {
        FilterValidator.Validate(options.Filter, nameof(options));
        _client = client;
        _routes = routes;
        Options = options;
        _logger = logger;
    }

    /// <summary>The consumer's settings.</summary>
    public PullConsumerOptions Options { get; }

    /// <summary>The queues of a topic.</summary>
    /// <exception cref="TopicNotFoundException">The topic does not exist.</exception>
    public async Task<IReadOnlyList<MessageQueue>> GetQueuesAsync(string topic)
    {
        var route = await _routes.GetAsync(topic) ?? throw new TopicNotFoundException(topic);
        var queues = new MessageQueue[route.Queues.Length];
        for (var i = 0; i < queues.Length; i++)
        {
            queues[i] = new MessageQueue(topic, route.Queues[i].Broker, route.Queues[i].QueueId);
        }

        return queues;
    }

    /// <summary>Pulls messages from <paramref name="offset"/>, waiting up to <paramref name="wait"/> for new ones.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="offset">First offset wanted.</param>
    /// <param name="maxMessages">Most messages to return.</param>
    /// <param name="wait">Long-poll time; default <see cref="PullConsumerOptions.LongPollWait"/>; zero returns at once.</param>
    /// <param name="filter">Optional broker-side tag or SQL92 filter, checked here before the pull is sent.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="ArgumentException">Malformed filter (the message gives the position and what is allowed).</exception>
    public async Task<PullResult> PullAsync(MessageQueue queue, long offset, int maxMessages = 32, TimeSpan? wait = null, FilterExpression? filter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queue);
        if (maxMessages < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxMessages), maxMessages, "maxMessages must be at least 1.");
        }

        if (filter is not null && !filter.Equals(Volatile.Read(ref _validFilter)))
        {
            FilterValidator.Validate(filter, nameof(filter));
            Volatile.Write(ref _validFilter, filter);
        }

        return await QueueReader.PullAsync(_client, queue, offset, maxMessages, Options.PullMaxBytes, filter, wait ?? Options.LongPollWait, cancellationToken);
    }

    /// <summary>The valid offsets of a queue.</summary>
    public Task<QueueOffsets> GetOffsetsAsync(MessageQueue queue) => Grain(queue).GetOffsetsAsync();

    /// <summary>The first offset stored at or after <paramref name="time"/>; the max offset when none.</summary>
    public Task<long> GetOffsetByTimeAsync(MessageQueue queue, DateTimeOffset time) => Grain(queue).GetOffsetByTimeAsync(time.ToUnixTimeMilliseconds());

    /// <summary>Replaces the set of queues <see cref="PollAsync"/> reads. Positions of queues kept in the set are kept.</summary>
    public void Assign(IEnumerable<MessageQueue> queues)
    {
        var wanted = new HashSet<MessageQueue>(queues);
        foreach (var queue in _assigned.Keys.ToArray())
        {
            if (!wanted.Contains(queue))
            {
                _assigned.Remove(queue, out var state);
                state!.Cancel();
            }
        }

        foreach (var queue in wanted)
        {
            if (!_assigned.ContainsKey(queue))
            {
                _assigned[queue] = new QueueState(queue, _stopping.Token);
            }
        }
    }

    /// <summary>The assigned queues.</summary>
    public IReadOnlyCollection<MessageQueue> Assignment => _assigned.Keys;

    /// <summary>Sets the next offset <see cref="PollAsync"/> reads from an assigned queue.</summary>
    /// <exception cref="InvalidOperationException">The queue is not assigned.</exception>
    public void Seek(MessageQueue queue, long offset)
    {
        if (!_assigned.TryGetValue(queue, out var state))
        {
            throw new InvalidOperationException($"Queue {queue} is not assigned to this consumer; call Assign first.");
        }

        state.Reset(offset);

        // Drop what was already fetched for this queue; other queues' messages stay buffered.
        var kept = _buffer.Where(m => m.QueueId != queue.QueueId || m.Broker != queue.Broker || m.Topic != queue.Topic).ToArray();
        _buffer.Clear();
        foreach (var message in kept)
        {
            _buffer.Enqueue(message);
        }
    }

    /// <summary>The next offset of an assigned queue, or null before its start is known.</summary>
    public long? Position(MessageQueue queue) => _assigned.TryGetValue(queue, out var state) ? state.Position : null;

    /// <summary>Returns buffered messages, else waits up to <paramref name="timeout"/> for any assigned queue to deliver.</summary>
    public async Task<IReadOnlyList<ReceivedMessage>> PollAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (_buffer.Count == 0 && !deadline.IsCancellationRequested)
        {
            var pulls = new List<Task>(_assigned.Count);
            foreach (var state in _assigned.Values)
            {
                pulls.Add(state.Outstanding ??= PullOnceAsync(state));
            }

            if (pulls.Count == 0)
            {
                break;
            }

            try
            {
                await Task.WhenAny(pulls).WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }

            foreach (var state in _assigned.Values)
            {
                if (state.Outstanding is { IsCompleted: true })
                {
                    state.Outstanding = null;
                    foreach (var message in state.TakeDelivered())
                    {
                        _buffer.Enqueue(message);
                    }
                }
            }
        }

        var result = new List<ReceivedMessage>(_buffer.Count);
        while (_buffer.TryDequeue(out var message))
        {
            result.Add(message);
        }

        return result;
    }

    private async Task PullOnceAsync(QueueState state)
    {
        try
        {
            if (state.Position is not { } position)
            {
                var offsets = await GetOffsetsAsync(state.Queue);
                position = Options.StartFrom == StartPosition.First ? offsets.Min : offsets.Max;
                state.Reset(position);
            }

            var generation = state.Generation;
            var result = await PullAsync(state.Queue, position, Options.PullBatchSize, Options.LongPollWait, Options.Filter, state.Token);
            if (generation != state.Generation)
            {
                return; // Seek happened while the pull was outstanding.
            }

            switch (result.Status)
            {
                case PullStatus.Found:
                    state.Deliver(result.Messages, result.NextOffset);
                    break;
                case PullStatus.NoNewMessage or PullStatus.NoMatchedMessage:
                    state.Reset(result.NextOffset);
                    break;
                case PullStatus.OffsetTooSmall:
                    LogOffsetReset(state.Queue.ToString(), position, result.MinOffset);
                    state.Reset(result.MinOffset);
                    break;
                case PullStatus.OffsetTooBig:
                    LogOffsetReset(state.Queue.ToString(), position, result.MaxOffset);
                    state.Reset(result.MaxOffset);
                    break;
                default:
                    LogPullRefused(state.Queue.ToString(), result.Status, result.Error ?? "");
                    await Task.Delay(Options.ErrorBackoff, state.Token);
                    break;
            }
        }
        catch (OperationCanceledException) when (state.Token.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!state.Token.IsCancellationRequested)
        {
            LogPullFailed(state.Queue.ToString(), e);
            try
            {
                await Task.Delay(Options.ErrorBackoff, state.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private IMessageQueueGrain Grain(MessageQueue queue) => QueueReader.Grain(_client, queue);

    /// <summary>Abandons outstanding pulls.</summary>
    public ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(1, LogLevel.Warning, "Offset {Offset} of {Queue} is out of range; continuing from {NewOffset}")]
    private partial void LogOffsetReset(string queue, long offset, long newOffset);

    [LoggerMessage(2, LogLevel.Warning, "Pull from {Queue} refused: {Status} {Error}")]
    private partial void LogPullRefused(string queue, PullStatus status, string error);

    [LoggerMessage(3, LogLevel.Warning, "Pull from {Queue} failed")]
    private partial void LogPullFailed(string queue, Exception exception);

    /// <summary>Position and delivered-but-not-polled messages of one assigned queue.</summary>
    private sealed class QueueState(MessageQueue queue, CancellationToken stopping)
    {
        private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        private IReadOnlyList<ReceivedMessage> _delivered = [];

        public MessageQueue Queue { get; } = queue;

        public long? Position { get; private set; }

        public int Generation { get; private set; }

        public Task? Outstanding { get; set; }

        public CancellationToken Token => _cancel.Token;

        public void Reset(long position)
        {
            if (Position != position)
            {
                Generation++;
            }

            Position = position;
            _delivered = [];
        }

        public void Deliver(IReadOnlyList<ReceivedMessage> messages, long next)
        {
            _delivered = messages;
            Position = next;
        }

        public IReadOnlyList<ReceivedMessage> TakeDelivered()
        {
            var delivered = _delivered;
            _delivered = [];
            return delivered;
        }

        public void Cancel()
        {
            _cancel.Cancel();
            _cancel.Dispose();
        }
    }
}
