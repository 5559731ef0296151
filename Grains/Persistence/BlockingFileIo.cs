using System.Collections.Concurrent;

namespace OrleansMq.Grains.Persistence;

/// <summary>
/// Runs blocking file-system work (write, fsync, rename, directory fsync) on two dedicated threads instead of the
/// thread pool.
/// </summary>
/// <remarks>
/// A durable state write waits for two or three device flushes: 1 ms typically, tens of ms when the disk stalls. On
/// the thread pool that blocked one of the silo's few workers (two on a 2-core machine) once a second per consumer
/// group committing offsets, and every grain call and queue append waited behind it.
/// </remarks>
internal static class BlockingFileIo
{
    private static readonly BlockingCollection<(Action Work, TaskCompletionSource Done)> Work = Start(2);

    /// <summary>Runs <paramref name="work"/> on an I/O thread; the task completes (asynchronously) with its outcome.</summary>
    public static Task RunAsync(Action work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Work.Add((work, done));
        return done.Task;
    }

    private static BlockingCollection<(Action, TaskCompletionSource)> Start(int threads)
    {
        var work = new BlockingCollection<(Action, TaskCompletionSource)>(new ConcurrentQueue<(Action, TaskCompletionSource)>());
        for (var i = 0; i < threads; i++)
        {
            new Thread(() => Run(work)) { IsBackground = true, Name = "OrleansMq state file I/O" }.Start();
        }

        return work;
    }

    private static void Run(BlockingCollection<(Action Work, TaskCompletionSource Done)> work)
    {
        foreach (var (action, done) in work.GetConsumingEnumerable())
        {
            try
            {
                action();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }
    }
}
