namespace OrleansMq.Storage.Internal;

/// <summary>A "written since the last sync" flag: cleared before the sync starts, set again when the sync fails.</summary>
/// <remarks>Clearing first means a write that lands during the sync sets the flag for the next one; nothing is skipped.</remarks>
internal static class SyncFlag
{
    /// <summary>Runs <paramref name="sync"/> when <paramref name="flag"/> was set; restores the flag if it throws.</summary>
    public static void SyncIfSet<T>(ref int flag, T state, Action<T> sync)
    {
        if (Interlocked.Exchange(ref flag, 0) == 0)
        {
            return;
        }

        try
        {
            sync(state);
        }
        catch
        {
            Volatile.Write(ref flag, 1);
            throw;
        }
    }
}
