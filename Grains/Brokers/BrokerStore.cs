using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansMq.Grains.Hosting;
using OrleansMq.Grains.Networking;
using OrleansMq.Storage;
using OrleansMq.Storage.Configuration;

namespace OrleansMq.Grains.Brokers;

/// <summary>
/// The silo's local message store. Opened in the silo lifecycle at <see cref="ServiceLifecycleStage.ApplicationServices"/>,
/// so it is open before the silo accepts calls and closed only after every grain has deactivated
/// (<see cref="ServiceLifecycleStage.GrainDeactivation"/> stops first).
/// </summary>
/// <remarks>Thread-safe; queue grains on this silo call <see cref="Store"/> directly, without messaging.</remarks>
internal sealed partial class BrokerStore(
    IOptions<BrokerOptions> brokerOptions,
    IOptions<MessageStoreOptions> storeOptions,
    ILocalSiloDetails silo,
    ILoggerFactory loggerFactory,
    TimeProvider timeProvider) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<BrokerStore>();
    private MessageStore? _store;
    private DataDirectoryLock? _lock;

    /// <summary>This broker's name (the silo name).</summary>
    public string BrokerName => silo.Name;

    /// <summary>The open store.</summary>
    /// <exception cref="InvalidOperationException">The store is not open (silo starting or stopping).</exception>
    public MessageStore Store => _store ?? throw new InvalidOperationException($"The message store of broker '{BrokerName}' is not open.");

    /// <summary>The store when open, else null.</summary>
    public MessageStore? TryGetStore() => _store;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(BrokerStore), ServiceLifecycleStage.ApplicationServices, OpenAsync, CloseAsync);

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        var dataDirectory = brokerOptions.Value.DataDirectory;
        _lock = DataDirectoryLock.Acquire(dataDirectory);
        try
        {
            var options = storeOptions.Value;
            _store = await MessageStore.OpenAsync(options, loggerFactory, timeProvider, cancellationToken);
            LogOpened(BrokerName, Path.GetFullPath(options.Directory), _store.StoreId);
            if (TransportBuffers.UnavailableReason is { } reason)
            {
                LogSmallTransportBuffers(reason);
            }
        }
        catch
        {
            _lock.Dispose();
            _lock = null;
            throw;
        }
    }

    private async Task CloseAsync(CancellationToken cancellationToken)
    {
        var store = _store;
        _store = null;
        if (store is not null)
        {
            await store.DisposeAsync();
            LogClosed(BrokerName);
        }

        _lock?.Dispose();
        _lock = null;
    }

    [LoggerMessage(1, LogLevel.Information, "Broker {Broker} opened its message store in {Directory} (store id {StoreId:X16})")]
    private partial void LogOpened(string broker, string directory, long storeId);

    [LoggerMessage(3, LogLevel.Warning, "Orleans' socket transport keeps its 4 KiB buffers ({Reason}): large produce batches and pulls cost more receive calls")]
    private partial void LogSmallTransportBuffers(string reason);

    [LoggerMessage(2, LogLevel.Information, "Broker {Broker} closed its message store")]
    private partial void LogClosed(string broker);
}
