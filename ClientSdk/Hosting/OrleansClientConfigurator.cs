using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
using OrleansMq.Grains.Networking;

namespace OrleansMq.Client.Hosting;

/// <summary>Configures an Orleans client from <see cref="MqClientOptions"/> resolved from DI.</summary>
internal static class OrleansClientConfigurator
{
    public static void Configure(IClientBuilder client)
    {
        client.Services.AddOptions<ClusterOptions>().Configure<IOptions<MqClientOptions>>((cluster, mq) =>
        {
            cluster.ClusterId = mq.Value.ClusterId;
            cluster.ServiceId = mq.Value.ServiceId;
        });
        client.Services.AddOptions<ClientMessagingOptions>().Configure<IOptions<MqClientOptions>>((messaging, mq) =>
            messaging.ResponseTimeout = mq.Value.ResponseTimeout);
        client.Services.AddSingleton<IGatewayListProvider, GatewayDiscovery>();
        client.UseConnectionRetryFilter<ConnectRetryFilter>();
        client.Services.UseLargeTransportBuffers();
    }

    /// <summary>Retries connecting every half second until <see cref="MqClientOptions.ConnectTimeout"/> has passed since the first failure.</summary>
    private sealed class ConnectRetryFilter(IOptions<MqClientOptions> options) : IClientConnectionRetryFilter
    {
        private long _firstFailure;

        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            var now = Environment.TickCount64;
            Interlocked.CompareExchange(ref _firstFailure, now, 0);
            if (TimeSpan.FromMilliseconds(now - Interlocked.Read(ref _firstFailure)) >= options.Value.ConnectTimeout)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            return true;
        }
    }
}
