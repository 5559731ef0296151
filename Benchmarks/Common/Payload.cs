using System.Buffers.Binary;
using System.Diagnostics;

namespace OrleansMq.Benchmarks.Common;

/// <summary>
/// Benchmark payloads: random bytes (fixed seed: every run sends the same), optionally stamped in the first 16 bytes
/// with a sequence number and the send time (Stopwatch ticks; producer and consumer share the process clock).
/// </summary>
internal static class Payload
{
    public const int HeaderSize = 16;

    public static byte[] Random(int size)
    {
        var bytes = new byte[size];
        new Random(42).NextBytes(bytes);
        return bytes;
    }

    public static byte[] Stamped(byte[] template, long sequence) => Stamped(template, sequence, Stopwatch.GetTimestamp());

    /// <summary>A copy of <paramref name="template"/> stamped with a sequence number and any 64-bit time (W5: the due time).</summary>
    public static byte[] Stamped(byte[] template, long sequence, long stamp)
    {
        var bytes = (byte[])template.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(bytes, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), stamp);
        return bytes;
    }

    public static (long Sequence, long SendTicks) Read(ReadOnlySpan<byte> body) =>
        body.Length < HeaderSize ? (-1, 0) : (BinaryPrimitives.ReadInt64LittleEndian(body), BinaryPrimitives.ReadInt64LittleEndian(body[8..]));
}
