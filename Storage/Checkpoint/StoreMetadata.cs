using System.Buffers.Binary;
using System.Security.Cryptography;
using OrleansMq.Storage.Internal;

namespace OrleansMq.Storage.Checkpoint;

/// <summary>
/// The <c>store.meta</c> file: the store id, created once with the store (temp file + rename + directory fsync).
/// </summary>
/// <remarks>
/// Layout (little-endian):
/// <code>
///  #  offset  size  field
///  1       0     4  Magic             "OMS" + version 0x01 (uint32 0x01534D4F)
///  2       4     4  Crc32C            of bytes [8, 32)
///  3       8     8  StoreId           int64, random, non-zero
///  4      16     8  CreatedTimestamp  int64, Unix ms
///  5      24     8  Reserved          0
/// </code>
/// </remarks>
internal static class StoreMetadata
{
    public const string FileName = "store.meta";
    public const int Size = 32;
    public const uint Magic = 0x01534D4F;

    /// <summary>Reads the store id, creating the file when absent.</summary>
    /// <exception cref="InvalidDataException">The file exists but is corrupt (the id must never silently change).</exception>
    public static long LoadOrCreate(string directory, TimeProvider time)
    {
        var path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length != Size || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic
                || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)) != Crc32C.Compute(bytes.AsSpan(8)))
            {
                throw new InvalidDataException($"Store metadata file '{path}' is corrupt; the store id cannot be recovered. Restore it from a backup.");
            }

            return BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        }

        long id;
        do
        {
            id = BinaryPrimitives.ReadInt64LittleEndian(RandomNumberGenerator.GetBytes(8));
        }
        while (id == 0);

        var buffer = new byte[Size];
        Encode(buffer, id, time.GetUtcNow().ToUnixTimeMilliseconds());
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            stream.Write(buffer);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        NativeMethods.FlushDirectory(directory);
        return id;
    }

    public static void Encode(Span<byte> destination, long storeId, long createdTimestamp)
    {
        destination[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], storeId);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], createdTimestamp);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Crc32C.Compute(destination[8..Size]));
    }
}
