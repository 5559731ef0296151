namespace OrleansMq.TestKit;

/// <summary>A cancellation token that bounds a whole test.</summary>
public static class TestTimeout
{
    /// <summary>A token cancelled after <paramref name="seconds"/> (default 60).</summary>
    public static CancellationToken After(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
