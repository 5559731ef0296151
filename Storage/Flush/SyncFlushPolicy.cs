namespace OrleansMq.Storage.Flush;

/// <summary>RocketMQ SYNC_FLUSH with group commit.</summary>
internal sealed class SyncFlushPolicy : FlushPolicy
{
    public override bool IsSync => true;

    public override TimeSpan Interval => TimeSpan.Zero;

    public override string ToString() => "sync";
}
