namespace OrleansMq.Grains.Scheduling;

/// <summary>
/// The clock that decides when delay, timer and retry messages are due. Separate from the silo's
/// <see cref="TimeProvider"/> so tests can move scheduling time hours ahead without touching membership, long polls or
/// grain timers.
/// </summary>
/// <param name="time">The time source; <see cref="TimeProvider.System"/> in production.</param>
internal sealed class SchedulingClock(TimeProvider time)
{
    public TimeProvider Time { get; } = time;
}
