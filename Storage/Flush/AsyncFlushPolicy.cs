using System.Globalization;

namespace OrleansMq.Storage.Flush;

/// <summary>RocketMQ ASYNC_FLUSH: acknowledged from the page cache, flushed every interval.</summary>
internal sealed class AsyncFlushPolicy(TimeSpan interval) : FlushPolicy
{
    public override bool IsSync => false;

    public override TimeSpan Interval { get; } = interval;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"async:{Interval.TotalMilliseconds}ms");
}
