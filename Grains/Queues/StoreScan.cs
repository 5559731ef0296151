using OrleansMq.Storage;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Queues;

/// <summary>Reads a queue of the local store forward, record by record (recovery of the timer and transaction services).</summary>
internal static class StoreScan
{
    private const int ReadBatch = 1024;
    private const int ReadBytes = 16 * 1024 * 1024;

    /// <summary>
    /// Every record of <paramref name="topic"/>/<paramref name="queueId"/> from <paramref name="from"/> to the end, in
    /// queue order; skips ahead when retention removed the start meanwhile.
    /// </summary>
    public static IEnumerable<StoredMessage> ReadForward(this MessageStore store, string topic, int queueId, long from)
    {
        var offset = from;
        while (true)
        {
            var read = store.Read(topic, queueId, offset, ReadBatch, ReadBytes);
            if (read.Status != ReadStatus.Found)
            {
                if (read.Status == ReadStatus.OffsetTooSmall && read.Range.Min > offset)
                {
                    offset = read.Range.Min;
                    continue;
                }

                yield break;
            }

            var position = 0;
            while (position < read.Records.Length)
            {
                var message = StoredMessage.From(read.Records[position..], store.StoreId);
                position += message.StoredSize;
                yield return message;
            }

            offset = read.NextQueueOffset;
        }
    }
}
