using System.Net;
using System.Net.Sockets;

namespace OrleansMq.TestKit.Processes;

/// <summary>
/// TCP ports on 127.0.0.1 that were free when handed out and are never handed out twice by this process. They come from
/// 15000–32767, below Linux's ephemeral range (32768–60999), so outgoing connections cannot take them between the
/// check and the server's bind, or while a server restarts on the same port.
/// </summary>
public static class FreePorts
{
    private const int First = 15_000;
    private const int Last = 32_767;
    private static readonly HashSet<int> Given = [];

    /// <summary>A free port.</summary>
    /// <exception cref="InvalidOperationException">No free port after 1,000 tries.</exception>
    public static int Next()
    {
        lock (Given)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(First, Last + 1);
                if (!Given.Contains(port) && IsFree(port))
                {
                    Given.Add(port);
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"No free TCP port on 127.0.0.1 between {First} and {Last} after 1000 tries.");
    }

    /// <summary><paramref name="count"/> distinct free ports.</summary>
    public static int[] Next(int count)
    {
        var ports = new int[count];
        for (var i = 0; i < count; i++)
        {
            ports[i] = Next();
        }

        return ports;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
