using Orleans.Storage;

namespace OrleansMq.Silo.Cluster;

/// <summary>
/// Keeps every grain's ADO.NET state row keyed by the grain's key text exactly. The Orleans ADO.NET provider reads a
/// string key that parses as hexadecimal as an integer key and a 32-hex-digit one as a GUID, so topics "a" and "A"
/// (both 0xA), "10" and "010", or two GUID-like names differing in case would share one row and read each other's
/// routes. Prefixing the key with <see cref="KeyPrefix"/> makes every key a string key, stored verbatim in
/// <c>GrainIdExtensionString</c>.
/// </summary>
/// <remarks>Thread-safe as the inner storage is; adds one small allocation per state operation (not a hot path).</remarks>
internal sealed class StringKeyedGrainStorage(IGrainStorage inner) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Prefix that no hexadecimal number or GUID starts with.</summary>
    public const string KeyPrefix = "k:";

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, Map(grainId), grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.WriteStateAsync(stateName, Map(grainId), grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, Map(grainId), grainState);

    public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);

    /// <summary>The grain id the inner storage sees: same type, key <c>k:&lt;key&gt;</c>.</summary>
    internal static GrainId Map(GrainId grainId) => GrainId.Create(grainId.Type, IdSpan.Create(KeyPrefix + grainId.Key.ToString()));
}
