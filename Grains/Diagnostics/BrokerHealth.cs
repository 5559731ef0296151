using OrleansMq.Grains.Brokers;
using OrleansMq.Storage;

namespace OrleansMq.Grains.Diagnostics;

/// <summary>What a readiness probe needs to know about this silo's broker: is its store open, and is its disk full.</summary>
/// <remarks>Thread-safe; reads the local store directly (no grain call), so it answers while the silo starts or stops.</remarks>
public sealed class BrokerHealth
{
    private readonly BrokerStore _store;

    internal BrokerHealth(BrokerStore store) => _store = store;

    /// <summary>This broker's name.</summary>
    public string BrokerName => _store.BrokerName;

    /// <summary>True while the message store is open (between the silo's start and stop).</summary>
    public bool IsStoreOpen => _store.TryGetStore() is not null;

    /// <summary>Free disk space below which sends are refused (<c>OrleansMq:Storage:MinFreeDiskBytes</c>); 0 while the store is closed.</summary>
    public long MinFreeDiskBytes => _store.TryGetStore()?.Options.MinFreeDiskBytes ?? 0;

    /// <summary>The store's positions and disk space now (checks the disk), or null while the store is closed.</summary>
    public StoreStatus? GetStoreStatus()
    {
        var store = _store.TryGetStore();
        try
        {
            return store?.GetStatus();
        }
        catch (ObjectDisposedException)
        {
            return null; // Closed between the two reads.
        }
    }
}
