using System.Diagnostics;

namespace OrleansMq.TestKit;

/// <summary>
/// Bounded waits for conditions that become true asynchronously. Every wait has a deadline and, when it expires,
/// throws a <see cref="TimeoutException"/> that says what was awaited and what was last observed.
/// </summary>
public static class Wait
{
    /// <summary>Default bound for waits in tests.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Polls <paramref name="condition"/> until it returns true or <paramref name="timeout"/> passes.</summary>
    /// <param name="condition">Checked immediately, then with a short back-off between checks.</param>
    /// <param name="what">What is being waited for, for the timeout message.</param>
    /// <param name="timeout">Deadline; <see cref="DefaultTimeout"/> when null.</param>
    /// <param name="observed">Optional description of the current state, added to the timeout message.</param>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? observed = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (clock.Elapsed >= limit)
            {
                var state = observed is null ? "" : $" Last observed: {observed()}.";
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for {what}.{state}");
            }

            await Task.Delay(pause);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 200));
        }
    }

    /// <summary>Synchronous-condition overload of <see cref="UntilAsync(Func{Task{bool}}, string, TimeSpan?, Func{string}?)"/>.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? observed = null)
        => UntilAsync(() => Task.FromResult(condition()), what, timeout, observed);

    /// <summary>Awaits <paramref name="task"/> for at most <paramref name="timeout"/>, naming <paramref name="what"/> on timeout.</summary>
    public static async Task<T> ForAsync<T>(Task<T> task, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        try
        {
            return await task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for {what}.");
        }
    }

    /// <summary>Awaits <paramref name="task"/> for at most <paramref name="timeout"/>, naming <paramref name="what"/> on timeout.</summary>
    public static async Task ForAsync(Task task, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        try
        {
            await task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for {what}.");
        }
    }
}
