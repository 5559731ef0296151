using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OrleansMq.Process.Tests.Fixtures;

/// <summary>Keeps the last log lines of test-side clients (Information and above) for failure messages.</summary>
public sealed class LogBuffer : ILoggerProvider
{
    private const int MaxLines = 2000;
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>A logger factory writing into this buffer.</summary>
    public ILoggerFactory CreateFactory() => LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddProvider(this));

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Everything kept, oldest first.</summary>
    public override string ToString() => string.Join(Environment.NewLine, _lines);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > MaxLines && _lines.TryDequeue(out _))
        {
        }
    }

    private sealed class Logger(LogBuffer buffer, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}";
            buffer.Add(exception is null ? line : $"{line} {exception.GetType().Name}: {exception.Message}");
        }
    }
}
