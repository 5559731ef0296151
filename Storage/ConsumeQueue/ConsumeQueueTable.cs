using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.ConsumeQueue;

/// <summary>Every consume queue of the store, by (topic, queue id).</summary>
/// <remarks>Thread-safe. Queue objects are created in memory on first use; their files appear on the first entry.</remarks>
internal sealed class ConsumeQueueTable
{
    private readonly ConcurrentDictionary<QueueKey, ConsumeQueue> _queues = new();
    private readonly string _root;
    private readonly int _entriesPerFile;
    private byte[]? _lastTopicUtf8;
    private string? _lastTopic;

    public ConsumeQueueTable(string root, int entriesPerFile)
    {
        _root = root;
        _entriesPerFile = entriesPerFile;
        System.IO.Directory.CreateDirectory(root);
    }

    public ConsumeQueue? Find(string topic, int queueId) => _queues.TryGetValue(new QueueKey(topic, queueId), out var queue) ? queue : null;

    public ConsumeQueue GetOrAdd(string topic, int queueId)
    {
        var key = new QueueKey(topic, queueId);
        return _queues.TryGetValue(key, out var queue) ? queue : _queues.GetOrAdd(key, k => new ConsumeQueue(_root, k.Topic, k.QueueId, _entriesPerFile));
    }

    /// <summary>Resolves the queue of a record during replay from its UTF-8 topic (allocates only when the topic changes).</summary>
    public ConsumeQueue GetOrAdd(ReadOnlySpan<byte> topicUtf8, int queueId)
    {
        if (_lastTopicUtf8 is null || !topicUtf8.SequenceEqual(_lastTopicUtf8))
        {
            _lastTopicUtf8 = topicUtf8.ToArray();
            _lastTopic = Encoding.UTF8.GetString(topicUtf8);
        }

        return GetOrAdd(_lastTopic!, queueId);
    }

    public ICollection<ConsumeQueue> All => _queues.Values;

    /// <summary>Opens every queue directory found on disk.</summary>
    public void Load()
    {
        foreach (var topicDirectory in System.IO.Directory.EnumerateDirectories(_root))
        {
            var topic = TopicNames.FromDirectory(topicDirectory);
            if (topic is null)
            {
                continue;
            }

            foreach (var queueDirectory in System.IO.Directory.EnumerateDirectories(topicDirectory))
            {
                if (!int.TryParse(Path.GetFileName(queueDirectory), NumberStyles.None, CultureInfo.InvariantCulture, out var queueId))
                {
                    continue;
                }

                GetOrAdd(topic, queueId).Load();
            }
        }
    }

    /// <summary>Removes and returns the queues of <paramref name="topic"/>.</summary>
    public List<ConsumeQueue> Remove(string topic)
    {
        var removed = new List<ConsumeQueue>();
        foreach (var (key, queue) in _queues)
        {
            if (key.Topic == topic && _queues.TryRemove(key, out _))
            {
                removed.Add(queue);
            }
        }

        return removed;
    }

    private readonly record struct QueueKey(string Topic, int QueueId);
}
