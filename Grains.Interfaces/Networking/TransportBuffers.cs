using System.Buffers;
using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Networking.Shared;

namespace OrleansMq.Grains.Networking;

/// <summary>
/// Gives Orleans' socket transport 64 KiB buffers instead of its 4 KiB slab blocks, on both ends of every connection.
/// </summary>
/// <remarks>
/// Orleans receives into whatever its memory pool hands out, and its slab pool's blocks are 4 KiB: a 64 KB produce
/// batch took 16 <c>recv</c> calls and 16 wake-ups of the message reader (W1: 13% of broker CPU in <c>recv</c>;
/// with 64 KiB blocks W1 went from 115k to 135k msgs/s and broker CPU per message fell ~28%). Orleans 10 exposes no
/// setting for it, so the pool is swapped through two non-public members of <c>Orleans.Core</c>:
/// <c>SocketConnectionOptions.MemoryPoolFactory</c> (listeners) and <c>SharedMemoryPool.Pool</c> (outbound
/// connections and the message serializer). If a later Orleans lacks them, nothing is changed and
/// <see cref="UnavailableReason"/> says why; the tests pin the current version.
/// </remarks>
public static class TransportBuffers
{
    /// <summary>Size of one transport buffer: the most one socket receive can read.</summary>
    public const int BlockSize = 64 * 1024;

    private static readonly Type? SharedPoolType = typeof(SocketConnectionOptions).Assembly.GetType("Orleans.Networking.Shared.SharedMemoryPool");
    private static readonly FieldInfo? SharedPoolField = SharedPoolType?.GetField("<Pool>k__BackingField", BindingFlags.Instance | BindingFlags.NonPublic);
    private static readonly PropertyInfo? ListenerPoolFactory = typeof(SocketConnectionOptions).GetProperty("MemoryPoolFactory", BindingFlags.Instance | BindingFlags.NonPublic);

    /// <summary>Why <see cref="UseLargeTransportBuffers"/> cannot apply to this Orleans version; null when it can.</summary>
    public static string? UnavailableReason { get; } =
        SharedPoolType is null || SharedPoolField is null || SharedPoolField.FieldType != typeof(MemoryPool<byte>)
            ? "Orleans.Core has no SharedMemoryPool.Pool backing field"
            : ListenerPoolFactory is null || ListenerPoolFactory.PropertyType != typeof(Func<MemoryPool<byte>>)
                ? "Orleans.Core has no SocketConnectionOptions.MemoryPoolFactory"
                : null;

    /// <summary>
    /// Makes the Orleans socket connections of this silo or client use <see cref="BlockSize"/> buffers. Call after
    /// Orleans' own services are registered (inside <c>UseOrleans</c>/<c>UseOrleansClient</c>). Does nothing when
    /// <see cref="UnavailableReason"/> is set.
    /// </summary>
    /// <param name="services">The silo's or client's services.</param>
    public static void UseLargeTransportBuffers(this IServiceCollection services)
    {
        if (UnavailableReason is not null)
        {
            return;
        }

        // One pool per listener, as Orleans does; it lives as long as the listener.
        services.Configure<SocketConnectionOptions>(o => ListenerPoolFactory!.SetValue(o, (Func<MemoryPool<byte>>)(() => new BlockPool(BlockSize))));
        services.AddSingleton(SharedPoolType!, _ =>
        {
            var shared = Activator.CreateInstance(SharedPoolType!, nonPublic: true)!;
            SharedPoolField!.SetValue(shared, new BlockPool(BlockSize));
            return shared;
        });
    }

    /// <summary>
    /// Fixed-size blocks on the pinned object heap (sockets pin their buffers for every operation, so ordinary
    /// arrays would fragment gen0), recycled through a bounded free list.
    /// </summary>
    internal sealed class BlockPool(int blockSize) : MemoryPool<byte>
    {
        // 256 × 64 KiB = 16 MiB kept at most; beyond that returned blocks are left to the GC.
        private const int MaxRetained = 256;
        private readonly ConcurrentQueue<byte[]> _free = new();
        private int _retained;

        public override int MaxBufferSize => blockSize;

        public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
        {
            if (minBufferSize > blockSize)
            {
                throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"At most {blockSize} bytes can be rented from this pool.");
            }

            if (_free.TryDequeue(out var block))
            {
                Interlocked.Decrement(ref _retained);
            }
            else
            {
                block = GC.AllocateUninitializedArray<byte>(blockSize, pinned: true);
            }

            return new Lease(this, block);
        }

        private void Return(byte[] block)
        {
            if (Interlocked.Increment(ref _retained) <= MaxRetained)
            {
                _free.Enqueue(block);
            }
            else
            {
                Interlocked.Decrement(ref _retained);
            }
        }

        protected override void Dispose(bool disposing) => _free.Clear();

        private sealed class Lease(BlockPool pool, byte[] block) : IMemoryOwner<byte>
        {
            private byte[]? _block = block;

            public Memory<byte> Memory => _block ?? throw new ObjectDisposedException(nameof(Lease));

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _block, null) is { } returned)
                {
                    pool.Return(returned);
                }
            }
        }
    }
}
