using System.Diagnostics;
using System.Globalization;

namespace OrleansMq.Cli.Output;

/// <summary>
/// A progress bar on stderr for long work (send N, consume N), redrawn at most every 100 ms with <c>\r</c>, and only
/// when stderr is a terminal: redirected output (scripts, logs) gets no control characters.
/// </summary>
/// <remarks>Thread-safe: producers' callbacks report from pool threads.</remarks>
internal sealed class ProgressBar(TextWriter error, string label, long total, bool enabled)
{
    private const int Width = 30;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private long _done;
    private long _lastDraw = -1;

    public void Report(long done)
    {
        if (!enabled)
        {
            return;
        }

        lock (_gate)
        {
            _done = done;
            var now = _clock.ElapsedMilliseconds;
            if (_lastDraw >= 0 && now - _lastDraw < 100 && done < total)
            {
                return;
            }

            _lastDraw = now;
            Draw();
        }
    }

    public void Complete()
    {
        if (!enabled)
        {
            return;
        }

        lock (_gate)
        {
            Draw();
            error.WriteLine();
        }
    }

    private void Draw()
    {
        var fraction = total <= 0 ? 1 : Math.Clamp(_done / (double)total, 0, 1);
        var filled = (int)Math.Round(fraction * Width);
        var rate = _done / Math.Max(0.001, _clock.Elapsed.TotalSeconds);
        error.Write(string.Create(CultureInfo.InvariantCulture, $"\r{label} [{new string('#', filled)}{new string('.', Width - filled)}] {_done}/{total} {rate:0}/s "));
        error.Flush();
    }
}
