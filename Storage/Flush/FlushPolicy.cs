namespace OrleansMq.Storage.Flush;

/// <summary>
/// When an append is acknowledged relative to the disk (RocketMQ SYNC_FLUSH / ASYNC_FLUSH).
/// </summary>
public abstract class FlushPolicy
{
    private protected FlushPolicy()
    {
    }

    /// <summary>Acknowledge only after the batch is fdatasync'ed; readers never see past the durable position.</summary>
    public static FlushPolicy Sync => throw new NotImplementedException();

    /// <summary>Acknowledge after the write reaches the OS; flush every <paramref name="interval"/>.</summary>
    public static FlushPolicy Async(TimeSpan interval) => throw new NotImplementedException();

    /// <summary>Parses "sync" or "async" / "async:500ms" / "async:00:00:00.5" (configuration form).</summary>
    public static FlushPolicy Parse(string text) => throw new NotImplementedException();
}
