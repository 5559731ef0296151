using System.Buffers.Binary;
using System.Security.Cryptography;

namespace OrleansMq.Client.Producing;

/// <summary>
/// Client unique keys (RocketMQ UNIQ_KEY): 32 upper-case hex digits, a random 64-bit prefix chosen once per process
/// followed by a 64-bit counter that starts at the clock's ticks, so keys are unique across processes and restarts
/// and sort by creation within a process.
/// </summary>
internal static class UniqueKeyGenerator
{
    /// <summary>Digits of a key.</summary>
    public const int Length = 32;

    // The bytes before the digits in the encoded UNIQ_KEY property (name and lengths), from the properties encoder itself.
    private static readonly byte[] PropertyPrefix = Storage.Codec.MessageProperties.Encode(
        [new KeyValuePair<string, string>(Storage.Codec.MessagePropertyNames.UniqueKey, new string('0', Length))])[..^Length];

    /// <summary>Bytes of the encoded UNIQ_KEY property (<see cref="UniqueKey.WriteProperty"/>).</summary>
    public static int PropertySize => PropertyPrefix.Length + Length;

    private static readonly ulong Prefix = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
    private static long _counter = DateTime.UtcNow.Ticks;

    /// <summary>The next key, not yet formatted: a send writes its digits straight into the message's properties and makes the string only when asked for it.</summary>
    public static UniqueKey Next() => new((ulong)Interlocked.Increment(ref _counter));

    [System.Runtime.CompilerServices.InlineArray(16)]
    private struct Bytes16
    {
        private byte _first;
    }

    /// <summary>A key of this process: its counter (the prefix is the process's).</summary>
    internal readonly record struct UniqueKey(ulong Counter)
    {
        /// <summary>Writes the 32 ASCII hex digits (UTF-8) to the start of <paramref name="destination"/>.</summary>
        public void Write(Span<byte> destination)
        {
            var bytes = Bytes();
            Convert.TryToHexString(bytes, destination[..Length], out _);
        }

        /// <summary>Writes the encoded UNIQ_KEY property with this key (<see cref="PropertySize"/> bytes) and returns its size.</summary>
        public int WriteProperty(Span<byte> destination)
        {
            PropertyPrefix.CopyTo(destination);
            Write(destination[PropertyPrefix.Length..]);
            return PropertySize;
        }

        public override string ToString() => string.Create(Length, this, static (span, key) =>
        {
            var bytes = key.Bytes();
            Convert.TryToHexString(bytes, span, out _);
        });

        // Convert's vectorized hex encoding: formatting with "X16" was a visible share of the producer's CPU per message.
        private Bytes16 Bytes()
        {
            var bytes = default(Bytes16);
            BinaryPrimitives.WriteUInt64BigEndian(bytes, Prefix);
            BinaryPrimitives.WriteUInt64BigEndian(((Span<byte>)bytes)[8..], Counter);
            return bytes;
        }
    }
}
