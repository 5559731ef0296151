using OrleansMq.Client.Messages;

namespace OrleansMq.Client.Consuming.Internal;

/// <summary>
/// Messages pulled from one queue and not yet consumed, ordered by offset (RocketMQ ProcessQueue). It bounds what is
/// cached (flow control: count, bytes and, for concurrent listeners, the span between the oldest and newest unconsumed
/// offsets), tells the pull loop when there is room again, and knows the committable offset: everything below the
/// smallest cached offset is consumed.
/// </summary>
/// <remarks>
/// Thread-safe: pull loop, consume workers and the commit loop all use it. Pulls arrive in offset order, so the
/// messages are kept in a ring ordered by offset: adding is an append, removing a binary search that marks the entry
/// consumed, and both ends move past consumed entries. (A sorted tree cost a tenth of a catch-up consumer's CPU.)
/// </remarks>
internal sealed class ProcessQueue(int maxMessages, long maxBytes, long maxSpan = long.MaxValue)
{
    private readonly Lock _gate = new();
    private Entry[] _ring = new Entry[64];
    private int _head;   // Ring index of the oldest entry. The first and last entries are unconsumed whenever _length > 0.
    private int _length; // Entries from the head, consumed ones between unconsumed ones included.
    private int _count;  // Unconsumed entries.
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
                return _count;
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
                AddOne(message);
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
                var index = Find(message.QueueOffset);
                if (index >= 0 && At(index).Message is { } cached)
                {
                    At(index).Message = null;
                    _count--;
                    _bytes -= cached.Body.Length;
                }
            }

            while (_length > 0 && _ring[_head].Message is null)
            {
                _head = (_head + 1) & (_ring.Length - 1);
                _length--;
            }

            while (_length > 0 && At(_length - 1).Message is null)
            {
                _length--;
            }

            if (_spaceWaiter is not null && HasSpace())
            {
                space = _spaceWaiter;
                _spaceWaiter = null;
            }

            if (_emptyWaiter is not null && _count == 0)
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
            if (_count == 0)
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
                return _length > 0 ? _ring[_head].Offset : _nextOffset;
            }
        }
    }

    /// <summary>The oldest cached messages, up to <paramref name="max"/> (orderly consumption).</summary>
    public List<ReceivedMessage> TakeOldest(int max)
    {
        lock (_gate)
        {
            var result = new List<ReceivedMessage>(Math.Min(max, _count));
            for (var i = 0; i < _length && result.Count < max; i++)
            {
                if (At(i).Message is { } message)
                {
                    result.Add(message);
                }
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

    private bool HasSpace() =>
        _count < maxMessages && _bytes < maxBytes && (_length == 0 || At(_length - 1).Offset - _ring[_head].Offset <= maxSpan);

    private ref Entry At(int index) => ref _ring[(_head + index) & (_ring.Length - 1)];

    /// <summary>The position (from the head) of <paramref name="offset"/>, or the bitwise complement of where it belongs.</summary>
    private int Find(long offset)
    {
        int low = 0, high = _length - 1;
        while (low <= high)
        {
            var middle = (int)((uint)(low + high) >> 1);
            var found = At(middle).Offset;
            if (found == offset)
            {
                return middle;
            }

            if (found < offset)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }

    private void AddOne(ReceivedMessage message)
    {
        var offset = message.QueueOffset;
        int index;
        if (_length == 0 || At(_length - 1).Offset < offset)
        {
            index = _length; // The usual case: the next pulled offset.
        }
        else
        {
            // Out of order (a pull position moved back): kept once, in its place.
            index = Find(offset);
            if (index >= 0)
            {
                if (At(index).Message is null)
                {
                    At(index).Message = message;
                    _count++;
                    _bytes += message.Body.Length;
                }

                return;
            }

            index = ~index;
        }

        if (_length == _ring.Length)
        {
            var grown = new Entry[_ring.Length * 2];
            for (var i = 0; i < _length; i++)
            {
                grown[i] = At(i);
            }

            _ring = grown;
            _head = 0;
        }

        for (var i = _length; i > index; i--)
        {
            At(i) = At(i - 1);
        }

        At(index) = new Entry { Offset = offset, Message = message };
        _length++;
        _count++;
        _bytes += message.Body.Length;
    }

    /// <summary>A cached message; <see cref="Message"/> is null once it was consumed.</summary>
    private struct Entry
    {
        public long Offset;
        public ReceivedMessage? Message;
    }
}
