namespace OrleansMq.Grains.Tests.Fixtures;

/// <summary>Unique topic names so tests sharing a cluster never see each other's messages.</summary>
public static class TestTopics
{
    private static int _next;

    public static string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _next)}-{Guid.NewGuid().ToString("N")[..8]}";
}
