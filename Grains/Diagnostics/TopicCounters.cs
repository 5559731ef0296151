namespace OrleansMq.Grains.Diagnostics;

/// <summary>Cumulative traffic of one topic on this broker since it started.</summary>
/// <remarks>Thread-safe: updated with <see cref="Interlocked"/>, once per batch, never per message.</remarks>
internal sealed class TopicCounters(string topic)
{
    private long _messagesIn;
    private long _bytesIn;
    private long _messagesOut;
    private long _bytesOut;

    public string Topic { get; } = topic;

    public long MessagesIn => Volatile.Read(ref _messagesIn);

    public long BytesIn => Volatile.Read(ref _bytesIn);

    public long MessagesOut => Volatile.Read(ref _messagesOut);

    public long BytesOut => Volatile.Read(ref _bytesOut);

    public void AddIn(long messages, long bytes)
    {
        Interlocked.Add(ref _messagesIn, messages);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    public void AddOut(long messages, long bytes)
    {
        Interlocked.Add(ref _messagesOut, messages);
        Interlocked.Add(ref _bytesOut, bytes);
    }
}
