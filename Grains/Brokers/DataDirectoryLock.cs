using OrleansMq.Grains.Errors;

namespace OrleansMq.Grains.Brokers;

/// <summary>
/// An exclusive lock on a broker's data directory, so two processes (or two silos in one process) never write the
/// same commit log. On Unix .NET implements <see cref="FileShare.None"/> with an advisory <c>flock</c>, which the
/// kernel releases when the process dies, so a killed broker never leaves a stale lock.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    public const string FileName = ".lock";

    private readonly FileStream _stream;

    private DataDirectoryLock(FileStream stream) => _stream = stream;

    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            stream.Write(System.Text.Encoding.UTF8.GetBytes($"{Environment.ProcessId}\n"));
            stream.Flush();
            return new DataDirectoryLock(stream);
        }
        catch (IOException e)
        {
            throw new OrleansMqException(
                $"Data directory '{Path.GetFullPath(dataDirectory)}' is in use by another broker (lock file '{path}'). "
                + "Each broker needs its own data directory.", e);
        }
    }

    public void Dispose() => _stream.Dispose();
}
