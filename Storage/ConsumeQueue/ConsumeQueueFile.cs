using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.ConsumeQueue;

/// <summary>One consume queue segment: <see cref="EntryCount"/> entries starting at queue offset <see cref="FirstOffset"/>.</summary>
/// <remarks>Named by its first queue offset as 20 digits. Thread-safety as <see cref="MappedFile"/>.</remarks>
internal sealed class ConsumeQueueFile : MappedFile
{
    public ConsumeQueueFile(string path, long firstOffset, int entryCount)
        : base(path, (long)entryCount * ConsumeQueueEntry.Size)
    {
        FirstOffset = firstOffset;
        EntryCount = entryCount;
    }

    public long FirstOffset { get; }

    public int EntryCount { get; }

    /// <summary>One past the last queue offset this file can hold.</summary>
    public long EndOffset => FirstOffset + EntryCount;

    public ConsumeQueueEntry Read(long queueOffset) => new(GetSpan((queueOffset - FirstOffset) * ConsumeQueueEntry.Size, ConsumeQueueEntry.Size));

    public void Write(long queueOffset, in ConsumeQueueEntry entry)
    {
        entry.WriteTo(GetSpan((queueOffset - FirstOffset) * ConsumeQueueEntry.Size, ConsumeQueueEntry.Size));
        MarkDirty();
    }

    /// <summary>The entry bytes from <paramref name="queueOffset"/> to the end of the file.</summary>
    public Span<byte> Tail(long queueOffset)
        => GetSpan((queueOffset - FirstOffset) * ConsumeQueueEntry.Size, (int)((EndOffset - queueOffset) * ConsumeQueueEntry.Size));
}
