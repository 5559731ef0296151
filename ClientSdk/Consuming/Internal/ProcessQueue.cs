using OrleansMq.Client.Messages;

namespace OrleansMq.Client.Consuming.Internal;

/// <summary>
/// Messages pulled from one queue and not yet consumed, ordered by offset (RocketMQ ProcessQueue). It bounds what is
/// cached (flow control), tells the pull loop when there is room again, and knows the committable offset: everything
/// below the smallest cached offset is consumed.
/// </summary>
/// <remarks>Thread-safe: pull loop, consume workers and the commit loop all use it.</remarks>
internal sealed class ProcessQueue(int maxMessages, long maxBytes)
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<long, ReceivedMessage> _messages = [];
    private long _bytes;
    private long _nextOffset = -1;
    private TaskCompletionSource? _spaceWaiter;
    private TaskCompletionSource? _emptyWaiter;

    /// <summary>Set when the queue was taken away: remaining messages are left for the next holder.</summary>
    public bool Dropped { get; private set; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _messages.Count;
            }
        }
    }

    /// <summary>Adds pulled messages and records where the next pull starts.</summary>
    public void Add(IReadOnlyList<ReceivedMessage> messages, long nextOffset)
    {
        lock (_gate)
        {
            foreach (var message in messages)
            {
                if (_messages.TryAdd(message.QueueOffset, message))
                {
                    _bytes += message.Body.Length;
                }
            }

            _nextOffset = nextOffset;
        }
    }

    /// <summary>Moves the pull position when a pull returned nothing (filtered out or empty).</summary>
    public void Advance(long nextOffset)
    {
        lock (_gate)
        {
            _nextOffset = nextOffset;
        }
    }

    /// <summary>Removes consumed messages; wakes a waiting pull loop when the cache falls below its bounds.</summary>
    public void Remove(IReadOnlyList<ReceivedMessage> messages)
    {
        TaskCompletionSource? space = null;
        TaskCompletionSource? empty = null;
        lock (_gate)
        {
            foreach (var message in messages)
            {
                if (_messages.Remove(message.QueueOffset))
                {
                    _bytes -= message.Body.Length;
                }
            }

            if (_spaceWaiter is not null && HasSpace())
            {
                space = _spaceWaiter;
                _spaceWaiter = null;
            }

            if (_emptyWaiter is not null && _messages.Count == 0)
            {
                empty = _emptyWaiter;
                _emptyWaiter = null;
            }
        }

        space?.TrySetResult();
        empty?.TrySetResult();
    }

    /// <summary>Completes when the cache is below both bounds (pull suspension).</summary>
    public Task WaitForSpaceAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (HasSpace())
            {
                return Task.CompletedTask;
            }

            _spaceWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _spaceWaiter.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Completes when every cached message is consumed.</summary>
    public Task WaitForEmptyAsync()
    {
        lock (_gate)
        {
            if (_messages.Count == 0)
            {
                return Task.CompletedTask;
            }

            _emptyWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _emptyWaiter.Task;
        }
    }

    /// <summary>The offset to commit: the smallest unconsumed cached offset, else the next pull offset; -1 when unknown.</summary>
    public long CommittableOffset
    {
        get
        {
            lock (_gate)
            {
                foreach (var offset in _messages.Keys)
                {
                    return offset;
                }

                return _nextOffset;
            }
        }
    }

    /// <summary>The oldest cached messages, up to <paramref name="max"/> (orderly consumption).</summary>
    public List<ReceivedMessage> TakeOldest(int max)
    {
        lock (_gate)
        {
            var result = new List<ReceivedMessage>(Math.Min(max, _messages.Count));
            foreach (var message in _messages.Values)
            {
                if (result.Count == max)
                {
                    break;
                }

                result.Add(message);
            }

            return result;
        }
    }

    public void Drop()
    {
        TaskCompletionSource? space;
        TaskCompletionSource? empty;
        lock (_gate)
        {
            Dropped = true;
            space = _spaceWaiter;
            empty = _emptyWaiter;
            _spaceWaiter = _emptyWaiter = null;
        }

        space?.TrySetResult();
        empty?.TrySetResult();
    }

    private bool HasSpace() => _messages.Count < maxMessages && _bytes < maxBytes;
}
