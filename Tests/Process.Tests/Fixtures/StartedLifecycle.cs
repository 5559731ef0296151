namespace OrleansMq.Process.Tests.Fixtures;

/// <summary>Runs the start stages of one silo lifecycle participant outside a silo (a provider under test).</summary>
public sealed class StartedLifecycle : ISiloLifecycle
{
    private readonly List<(int Stage, ILifecycleObserver Observer)> _observers = [];

    /// <inheritdoc />
    public int HighestCompletedStage { get; private set; } = int.MinValue;

    /// <inheritdoc />
    public int LowestStoppedStage { get; } = int.MaxValue;

    /// <summary>Subscribes <paramref name="participant"/> and starts every stage it joined, in order.</summary>
    public static async Task StartAsync(ILifecycleParticipant<ISiloLifecycle> participant)
    {
        var lifecycle = new StartedLifecycle();
        participant.Participate(lifecycle);
        foreach (var (stage, observer) in lifecycle._observers.OrderBy(o => o.Stage))
        {
            await observer.OnStart(CancellationToken.None);
            lifecycle.HighestCompletedStage = stage;
        }
    }

    /// <inheritdoc />
    public IDisposable Subscribe(string observerName, int stage, ILifecycleObserver observer)
    {
        _observers.Add((stage, observer));
        return new Unsubscriber();
    }

    private sealed class Unsubscriber : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
