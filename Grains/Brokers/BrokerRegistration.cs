using Microsoft.Extensions.Logging;

namespace OrleansMq.Grains.Brokers;

/// <summary>Registers this broker (name, store id) with the cluster once the silo is active.</summary>
internal sealed partial class BrokerRegistration(
    BrokerStore brokerStore,
    IGrainFactory grainFactory,
    ILocalSiloDetails silo,
    ILogger<BrokerRegistration> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(BrokerRegistration), ServiceLifecycleStage.Active, RegisterAsync, _ => Task.CompletedTask);

    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        var storeId = brokerStore.Store.StoreId;
        await grainFactory.GetGrain<IBrokerRegistryGrain>(0).RegisterAsync(brokerStore.BrokerName, storeId, silo.SiloAddress.ToString());
        LogRegistered(brokerStore.BrokerName, storeId, silo.SiloAddress.ToString());
    }

    [LoggerMessage(1, LogLevel.Information, "Broker {Broker} (store {StoreId:X16}) registered at {Silo}")]
    private partial void LogRegistered(string broker, long storeId, string silo);
}
