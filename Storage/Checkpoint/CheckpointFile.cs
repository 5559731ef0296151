using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.Checkpoint;

/// <summary>
/// The <c>checkpoint</c> file: two 64-byte slots at offsets 0 and 4096, written alternately, so a torn write of
/// one slot always leaves the previous checkpoint intact. Recovery takes the valid slot with the higher sequence.
/// </summary>
/// <remarks>
/// Slot layout (little-endian):
/// <code>
///  #  offset  size  field
///  1       0     4  Magic               "OMC" + version 0x01 (uint32 0x01434D4F)
///  2       4     4  Crc32C              of bytes [8, 64)
///  3       8     8  Sequence            int64, +1 per write
///  4      16     8  DurableLogOffset    int64
///  5      24     8  DispatchedLogOffset int64
///  6      32     8  LastStoreTimestamp  int64
///  7      40     4  Clean               int32, 1 after an orderly close
///  8      44    20  Reserved            0
/// </code>
/// Thread-safety: <see cref="Write"/> is serialized by a lock; values only move forward (max with the previous).
/// </remarks>
internal sealed class CheckpointFile : IDisposable
{
    public const int SlotSize = 64;
    public const int SlotStride = 4096;
    public const uint Magic = 0x01434D4F;

    private readonly Lock _lock = new();
    private readonly SafeFileHandle _handle;
    private long _sequence;

    public CheckpointFile(string path)
    {
        _handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        Current = Read(out _sequence);
        Found = _sequence > 0;
    }

    /// <summary>The last written (or, at open, the recovered) checkpoint.</summary>
    public CheckpointData Current { get; private set; }

    /// <summary>Whether a valid checkpoint was found at open or has been written since.</summary>
    public bool Found { get; private set; }

    /// <summary>Writes and fdatasyncs a checkpoint; offsets never move backwards unless <paramref name="reset"/>.</summary>
    public void Write(CheckpointData data, bool reset = false)
    {
        lock (_lock)
        {
            if (!reset)
            {
                data = data with
                {
                    DurableLogOffset = Math.Max(data.DurableLogOffset, Current.DurableLogOffset),
                    DispatchedLogOffset = Math.Max(data.DispatchedLogOffset, Current.DispatchedLogOffset),
                    LastStoreTimestamp = Math.Max(data.LastStoreTimestamp, Current.LastStoreTimestamp),
                };
            }

            var sequence = _sequence + 1;
            Span<byte> slot = stackalloc byte[SlotSize];
            Encode(slot, sequence, data);
            RandomAccess.Write(_handle, slot, (sequence % 2) * SlotStride);
            NativeMethods.FlushData(_handle);
            _sequence = sequence;
            Current = data;
            Found = true;
        }
    }

    public static void Encode(Span<byte> slot, long sequence, CheckpointData data)
    {
        slot.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(slot, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(slot[8..], sequence);
        BinaryPrimitives.WriteInt64LittleEndian(slot[16..], data.DurableLogOffset);
        BinaryPrimitives.WriteInt64LittleEndian(slot[24..], data.DispatchedLogOffset);
        BinaryPrimitives.WriteInt64LittleEndian(slot[32..], data.LastStoreTimestamp);
        BinaryPrimitives.WriteInt32LittleEndian(slot[40..], data.Clean ? 1 : 0);
        BinaryPrimitives.WriteUInt32LittleEndian(slot[4..], Crc32C.Compute(slot[8..]));
    }

    public void Dispose() => _handle.Dispose();

    private CheckpointData Read(out long sequence)
    {
        sequence = 0;
        CheckpointData best = default;
        Span<byte> slot = stackalloc byte[SlotSize];
        for (var i = 0; i < 2; i++)
        {
            slot.Clear();
            if (RandomAccess.Read(_handle, slot, i * SlotStride) != SlotSize
                || BinaryPrimitives.ReadUInt32LittleEndian(slot) != Magic
                || BinaryPrimitives.ReadUInt32LittleEndian(slot[4..]) != Crc32C.Compute(slot[8..]))
            {
                continue;
            }

            var candidate = BinaryPrimitives.ReadInt64LittleEndian(slot[8..]);
            if (candidate > sequence)
            {
                sequence = candidate;
                best = new CheckpointData(
                    BinaryPrimitives.ReadInt64LittleEndian(slot[16..]),
                    BinaryPrimitives.ReadInt64LittleEndian(slot[24..]),
                    BinaryPrimitives.ReadInt64LittleEndian(slot[32..]),
                    BinaryPrimitives.ReadInt32LittleEndian(slot[40..]) == 1);
            }
        }

        return best;
    }
}
