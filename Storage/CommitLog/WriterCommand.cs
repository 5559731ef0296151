namespace OrleansMq.Storage.CommitLog;

/// <summary>Work that must run on the writer thread, in order with appends (topic deletion).</summary>
internal sealed class WriterCommand(Action<CommitLogWriter> action) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public void Run(CommitLogWriter writer)
    {
        try
        {
            action(writer);
            TrySetResult();
        }
        catch (Exception ex)
        {
            TrySetException(ex);
        }
    }
}
