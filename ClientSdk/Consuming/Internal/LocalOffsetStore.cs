using System.Text.Json;

namespace OrleansMq.Client.Consuming.Internal;

/// <summary>
/// Offsets of a broadcasting consumer in a local JSON file (RocketMQ keeps them in <c>~/.rocketmq_offsets</c>).
/// Saved atomically and durably (<see cref="Storage.DurableFile"/>).
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class LocalOffsetStore(string path)
{
    private readonly Lock _gate = new();
    private Dictionary<string, long> _offsets = new(StringComparer.Ordinal);

    public string Path { get; } = path;

    public void Load()
    {
        if (!File.Exists(Path))
        {
            return;
        }

        try
        {
            var loaded = JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllBytes(Path)) ?? [];
            lock (_gate)
            {
                _offsets = new Dictionary<string, long>(loaded, StringComparer.Ordinal);
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The broadcasting offset file '{Path}' is not valid JSON ({e.Message}); fix or delete it.", e);
        }
    }

    public long Get(string topic, int queueId)
    {
        lock (_gate)
        {
            return _offsets.TryGetValue(Key(topic, queueId), out var offset) ? offset : -1;
        }
    }

    public void Set(string topic, int queueId, long offset)
    {
        lock (_gate)
        {
            _offsets[Key(topic, queueId)] = offset;
        }
    }

    public void Save()
    {
        byte[] bytes;
        lock (_gate)
        {
            bytes = JsonSerializer.SerializeToUtf8Bytes(_offsets, new JsonSerializerOptions { WriteIndented = true });
        }

        Storage.DurableFile.WriteAllBytes(Path, bytes);
    }

    private static string Key(string topic, int queueId) => $"{topic}|{queueId}";
}
