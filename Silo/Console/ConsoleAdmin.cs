using OrleansMq.Client.Admin;
using OrleansMq.Client.Hosting;

namespace OrleansMq.Silo.Console;

/// <summary>The admin API over the silo's own cluster client, shared by the console's endpoints and sampler.</summary>
/// <remarks>Thread-safe. Created lazily: the cluster client is usable once the silo has started.</remarks>
internal sealed class ConsoleAdmin(IClusterClient client)
{
    private readonly Lazy<MqAdmin> _admin = new(() => MqClient.Create(client).Admin);

    public MqAdmin Admin => _admin.Value;
}
