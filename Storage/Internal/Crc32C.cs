using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OrleansMq.Storage.Internal;

/// <summary>CRC-32C (Castagnoli), the checksum of every commit log record.</summary>
/// <remarks>
/// Uses <see cref="BitOperations.Crc32C(uint, ulong)"/>, which is the SSE4.2 / ARMv8 instruction where available and
/// a table-free software fallback elsewhere. One instruction takes 8 bytes but waits ~3 cycles for the previous
/// one's result, so a single chain runs at a third of what the unit can do: spans of at least
/// <c>3 × 128</c> bytes are cut into three lanes checksummed side by side and joined with a precomputed shift
/// (CRC is linear: crc(s, A‖B) = shift<sub>|B|</sub>(crc(s, A)) ⊕ crc(0, B)), the usual technique for this
/// instruction (the JDK's CRC32C intrinsic, which Kafka's record checksums use, does the same).
/// The state is kept un-inverted between <see cref="Append"/> calls; <see cref="Compute"/> does the standard
/// pre/post inversion, so <c>Compute("123456789")</c> is the standard check value 0xE3069283.
/// </remarks>
internal static class Crc32C
{
    /// <summary>Initial state for <see cref="Append"/>.</summary>
    public const uint Seed = 0xFFFFFFFFu;

    // Bytes per lane: long lanes for large spans, shorter ones for the rest (a record of a 1 KiB message is ~1.2 KB).
    private const int LongLane = 1024;
    private const int MiddleLane = 256;
    private const int ShortLane = 128;

    /// <summary>CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(Seed, data);

    /// <summary>Feeds <paramref name="data"/> into a running state; finish with <c>~state</c>.</summary>
    /// <remarks>
    /// Compiled optimized at its first call: every record is checksummed when written and when consumed, and the
    /// unoptimized first tier (each step a call) made it a sixth of a new consumer's CPU in its first seconds.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        var done = 0;
        var crc = Lanes(state, data, ref done, LongLane, Shifts.Long);
        crc = Lanes(crc, data, ref done, MiddleLane, Shifts.Middle);
        crc = Lanes(crc, data, ref done, ShortLane, Shifts.Short);
        return OneChain(crc, data[done..]);
    }

    /// <summary>
    /// Feeds <paramref name="data"/> as one dependent chain of 8-byte steps: what <see cref="Append"/> does with what is
    /// left after its lanes, and the reference the checksum benchmark measures it against.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint OneChain(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        if (data.Length >= 4)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt32LittleEndian(data));
            data = data[4..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    /// <summary>Feeds the whole blocks of <c>3 × lane</c> bytes of <paramref name="data"/> from <paramref name="done"/> on, moving it past them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Lanes(uint crc, ReadOnlySpan<byte> data, ref int done, int lane, uint[] shift)
    {
        while (data.Length - done >= 3 * lane)
        {
            crc = ThreeLanes(crc, ref Unsafe.Add(ref MemoryMarshal.GetReference(data), done), lane, shift);
            done += 3 * lane;
        }

        return crc;
    }

    /// <summary>The state after <c>3 × lane</c> bytes from <paramref name="p"/>: three independent chains, then joined.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ThreeLanes(uint crc, ref byte p, int lane, uint[] shift)
    {
        uint second = 0, third = 0;
        ref var q = ref Unsafe.Add(ref p, lane);
        ref var r = ref Unsafe.Add(ref p, 2 * lane);
        for (var i = 0; i < lane; i += 8)
        {
            crc = BitOperations.Crc32C(crc, ReadUInt64(ref p, i));
            second = BitOperations.Crc32C(second, ReadUInt64(ref q, i));
            third = BitOperations.Crc32C(third, ReadUInt64(ref r, i));
        }

        crc = Shift(shift, crc) ^ second;
        return Shift(shift, crc) ^ third;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadUInt64(ref byte p, int offset)
    {
        var value = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, offset));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Shift(uint[] table, uint state) =>
        table[(int)(state & 0xFF)] ^ table[256 + (int)((state >> 8) & 0xFF)] ^ table[512 + (int)((state >> 16) & 0xFF)] ^ table[768 + (int)(state >> 24)];

    /// <summary>
    /// Per lane size, the state after that many zero bytes as four byte-indexed tables of 256 (the shift is linear). In a
    /// class of their own, so a short span, which needs none, does not pay for the check that they are initialized.
    /// </summary>
    private static class Shifts
    {
        public static readonly uint[] Long = ShiftTable(LongLane);
        public static readonly uint[] Middle = ShiftTable(MiddleLane);
        public static readonly uint[] Short = ShiftTable(ShortLane);
    }

    /// <summary>The four tables of <see cref="Shift"/> for <paramref name="bytes"/> zero bytes.</summary>
    private static uint[] ShiftTable(int bytes)
    {
        // The shift of each single-bit state, by running the CRC over zeros; any other state is the XOR of its bits'.
        Span<uint> bits = stackalloc uint[32];
        for (var bit = 0; bit < 32; bit++)
        {
            var state = 1u << bit;
            for (var i = 0; i < bytes; i += 8)
            {
                state = BitOperations.Crc32C(state, 0UL);
            }

            bits[bit] = state;
        }

        var table = new uint[4 * 256];
        for (var k = 0; k < 4; k++)
        {
            for (var b = 0; b < 256; b++)
            {
                uint value = 0;
                for (var j = 0; j < 8; j++)
                {
                    if ((b & (1 << j)) != 0)
                    {
                        value ^= bits[(8 * k) + j];
                    }
                }

                table[(256 * k) + b] = value;
            }
        }

        return table;
    }
}
