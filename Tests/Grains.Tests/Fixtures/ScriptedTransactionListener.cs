using System.Collections.Concurrent;
using OrleansMq.Client.Messages;
using OrleansMq.Client.Transactions;
using OrleansMq.Grains.Transactions;

namespace OrleansMq.Grains.Tests.Fixtures;

/// <summary>A transaction listener whose answers a test sets, recording every call.</summary>
public sealed class ScriptedTransactionListener(string name) : ITransactionListener
{
    private readonly ConcurrentQueue<ReceivedMessage> _executed = new();
    private readonly ConcurrentQueue<ReceivedMessage> _checked = new();

    public string Name { get; } = name;

    /// <summary>What the local transaction returns; may block (a test releases it).</summary>
    public Func<ReceivedMessage, object?, Task<LocalTransactionState>> Execute { get; set; } = (_, _) => Task.FromResult(LocalTransactionState.Commit);

    /// <summary>What a check-back returns.</summary>
    public Func<ReceivedMessage, LocalTransactionState> Check { get; set; } = _ => LocalTransactionState.Unknown;

    public IReadOnlyCollection<ReceivedMessage> Executed => _executed;

    public IReadOnlyCollection<ReceivedMessage> Checked => _checked;

    public async Task<LocalTransactionState> ExecuteLocalTransactionAsync(ReceivedMessage message, object? arg)
    {
        _executed.Enqueue(message);
        return await Execute(message, arg);
    }

    public Task<LocalTransactionState> CheckLocalTransactionAsync(ReceivedMessage message)
    {
        _checked.Enqueue(message);
        return Task.FromResult(Check(message));
    }
}
