using System.Buffers;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Networking.Shared;
using OrleansMq.Client.Hosting;
using OrleansMq.Hosting;
using OrleansMq.Grains.Networking;

namespace OrleansMq.Grains.Tests.Unit;

/// <summary>The broker and the client hand Orleans' socket transport 64 KiB buffers instead of 4 KiB slab blocks.</summary>
public sealed class TransportBuffersTests
{
    [Fact]
    public void UnavailableReason_OnTheOrleansVersionWeBuildWith_IsNull()
    {
        // Fails when an Orleans upgrade removes the members the pool is swapped through (see TransportBuffers).
        Assert.Null(TransportBuffers.UnavailableReason);
    }

    [Fact]
    public void Broker_ListenersAndOutboundConnections_Use64KiBBlocks()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleans(silo => silo.UseLocalhostClustering().AddOrleansMqBroker());
        using var host = builder.Build();

        AssertLargeBlocks(host.Services);
    }

    [Fact]
    public void Client_OutboundConnections_Use64KiBBlocks()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddOptions<MqClientOptions>();
        builder.UseOrleansClient(OrleansClientConfigurator.Configure);
        using var host = builder.Build();

        AssertLargeBlocks(host.Services);
    }

    [Fact]
    public void BlockPool_RentsWholeBlocks_ReusesReturnedOnes_AndRefusesLargerRequests()
    {
        using var pool = new TransportBuffers.BlockPool(1024);

        var first = pool.Rent(10);
        var block = first.Memory;
        Assert.Equal(1024, block.Length);
        first.Dispose();
        first.Dispose(); // a second dispose must not return the block twice
        using var second = pool.Rent();
        using var third = pool.Rent();

        Assert.True(second.Memory.Span == block.Span, "the returned block was not reused");
        Assert.False(third.Memory.Span == block.Span, "one returned block was handed out twice");
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(1025));
        Assert.Contains("At most 1024 bytes", error.Message);
    }

    private static void AssertLargeBlocks(IServiceProvider services)
    {
        var sharedType = typeof(SocketConnectionOptions).Assembly.GetType("Orleans.Networking.Shared.SharedMemoryPool")!;
        var shared = (MemoryPool<byte>)sharedType.GetProperty("Pool")!.GetValue(services.GetRequiredService(sharedType))!;
        var factory = (Func<MemoryPool<byte>>)typeof(SocketConnectionOptions)
            .GetProperty("MemoryPoolFactory", BindingFlags.Instance | BindingFlags.NonPublic)!
            .GetValue(services.GetRequiredService<IOptions<SocketConnectionOptions>>().Value)!;
        using var listenerPool = factory();

        Assert.Equal(TransportBuffers.BlockSize, shared.MaxBufferSize);
        Assert.Equal(TransportBuffers.BlockSize, listenerPool.MaxBufferSize);
        using var lease = shared.Rent(2048);
        Assert.Equal(TransportBuffers.BlockSize, lease.Memory.Length);
    }
}
