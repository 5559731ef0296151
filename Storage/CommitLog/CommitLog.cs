using System.Globalization;

namespace OrleansMq.Storage.CommitLog;

/// <summary>
/// The segment list and the positions of the commit log: written (handed to the OS), durable (fdatasync'ed)
/// and visible (what readers may see: durable under the sync policy, written under async).
/// </summary>
/// <remarks>
/// Thread-safety: the segment array is copy-on-write under a lock; readers take the published array and hold a
/// segment while they use it. Positions are written by the writer/flusher threads and read by anyone.
/// </remarks>
internal sealed class CommitLog(string directory, bool visibleIsDurable)
{
    private readonly Lock _lock = new();
    private Segment[] _segments = [];
    private long _written;
    private long _durable;

    public string Directory { get; } = directory;

    public Segment[] Segments => Volatile.Read(ref _segments);

    public long WrittenPosition
    {
        get => Volatile.Read(ref _written);
        set => Volatile.Write(ref _written, value);
    }

    public long DurablePosition => Volatile.Read(ref _durable);

    /// <summary>Records that everything below <paramref name="position"/> is durable (only moves forward, except <see cref="ResetPositions"/>).</summary>
    public void AdvanceDurable(long position)
    {
        var current = Volatile.Read(ref _durable);
        while (position > current)
        {
            var seen = Interlocked.CompareExchange(ref _durable, position, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Sets both positions (recovery and rewind).</summary>
    public void ResetPositions(long position)
    {
        Volatile.Write(ref _written, position);
        Volatile.Write(ref _durable, position);
    }

    public long VisiblePosition => visibleIsDurable ? DurablePosition : WrittenPosition;

    /// <summary>First offset still on disk.</summary>
    public long MinOffset
    {
        get
        {
            var segments = Segments;
            return segments.Length == 0 ? WrittenPosition : segments[0].Start;
        }
    }

    public static string SegmentName(long start) => start.ToString("D20", CultureInfo.InvariantCulture);

    public Segment? Find(long logOffset)
    {
        var segments = Segments;
        int low = 0, high = segments.Length - 1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            var segment = segments[mid];
            if (logOffset < segment.Start)
            {
                high = mid - 1;
            }
            else if (logOffset >= segment.End)
            {
                low = mid + 1;
            }
            else
            {
                return segment;
            }
        }

        return null;
    }

    /// <summary>Finds and holds the segment containing <paramref name="logOffset"/>; release it after use.</summary>
    public Segment? Acquire(long logOffset)
    {
        var segment = Find(logOffset);
        return segment is not null && segment.TryAcquire() ? segment : null;
    }

    /// <summary>Reads <paramref name="destination"/>.Length bytes at <paramref name="logOffset"/> (within one segment); false when the segment is gone or short.</summary>
    public bool TryRead(long logOffset, Span<byte> destination)
    {
        var segment = Acquire(logOffset);
        if (segment is null)
        {
            return false;
        }

        try
        {
            return logOffset + destination.Length <= segment.End && segment.Read(logOffset, destination) == destination.Length;
        }
        finally
        {
            segment.Release();
        }
    }

    public Segment CreateSegment(long start, long capacity)
    {
        var segment = Segment.Create(Path.Combine(Directory, SegmentName(start)), start, capacity);
        Add(segment);
        return segment;
    }

    public void Add(Segment segment)
    {
        lock (_lock)
        {
            Volatile.Write(ref _segments, [.. _segments, segment]);
        }
    }

    /// <summary>Removes and deletes the segments starting at or after <paramref name="start"/> (failed writes, rewind, truncation).</summary>
    public void RemoveFrom(long start)
    {
        lock (_lock)
        {
            var keep = 0;
            while (keep < _segments.Length && _segments[keep].Start < start)
            {
                keep++;
            }

            for (var i = keep; i < _segments.Length; i++)
            {
                _segments[i].RetireAndDelete();
            }

            Volatile.Write(ref _segments, _segments[..keep]);
        }
    }

    /// <summary>Removes the oldest segment (retention); it is deleted once no reader holds it.</summary>
    public Segment? RemoveOldest()
    {
        lock (_lock)
        {
            if (_segments.Length < 2)
            {
                return null; // Never the active (last) segment.
            }

            var oldest = _segments[0];
            Volatile.Write(ref _segments, _segments[1..]);
            oldest.RetireAndDelete();
            return oldest;
        }
    }

    public void Close()
    {
        lock (_lock)
        {
            foreach (var segment in _segments)
            {
                segment.Retire();
            }

            _segments = [];
        }
    }
}
