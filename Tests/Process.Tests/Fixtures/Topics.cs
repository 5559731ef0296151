namespace OrleansMq.Process.Tests.Fixtures;

/// <summary>Unique topic and group names, so tests never see each other's messages.</summary>
public static class Topics
{
    private static int _next;

    /// <summary>A name <c>prefix-N-xxxxxxxx</c>.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Interlocked.Increment(ref _next)}-{Guid.NewGuid().ToString("N")[..8]}";
}
