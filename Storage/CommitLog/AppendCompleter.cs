using OrleansMq.Storage.Diagnostics;

namespace OrleansMq.Storage.CommitLog;

/// <summary>Completes append requests exactly once, frees their slot and records latency.</summary>
internal sealed class AppendCompleter(SemaphoreSlim slots, StorageInstruments instruments, TimeProvider time)
{
    /// <summary>The request's valid entries are stored; <paramref name="status"/> is Ok or FlushTimeout.</summary>
    public void Stored(AppendRequest request, AppendStatus status)
    {
        if (!request.TryClaim())
        {
            return;
        }

        var results = request.Results;
        var batchStatus = AppendStatus.Ok;
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i].Status == AppendStatus.Ok && status != AppendStatus.Ok)
            {
                results[i] = results[i] with { Status = status };
            }

            if (batchStatus == AppendStatus.Ok && results[i].Status != AppendStatus.Ok)
            {
                batchStatus = results[i].Status;
            }
        }

        Finish(request, new AppendResult(batchStatus, results, request.StoreTimestamp));
    }

    /// <summary>Nothing of the request was stored.</summary>
    public void Failed(AppendRequest request, AppendStatus status)
    {
        if (!request.TryClaim())
        {
            return;
        }

        var results = request.Results;
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i].Status is AppendStatus.Invalid or AppendStatus.Ok)
            {
                results[i] = new MessageAppendResult(status, -1, -1);
            }
        }

        Finish(request, new AppendResult(status, results, request.StoreTimestamp != 0 ? request.StoreTimestamp : time.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    private void Finish(AppendRequest request, AppendResult result)
    {
        instruments.AppendCompleted(time.GetElapsedTime(request.StartTimestamp));
        request.TrySetResult(result);
        slots.Release();
    }
}
