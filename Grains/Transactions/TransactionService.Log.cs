using Microsoft.Extensions.Logging;
using OrleansMq.Storage;

namespace OrleansMq.Grains.Transactions;

/// <summary>Log events of the transaction service.</summary>
internal sealed partial class TransactionService
{
    [LoggerMessage(1, LogLevel.Information, "Transaction service recovered {Pending} pending half messages ({Halves} half records, {Markers} op markers read) in {Milliseconds} ms")]
    private partial void LogRecovered(int pending, int halves, int markers, long milliseconds);

    [LoggerMessage(2, LogLevel.Trace, "Prepared a half message for {Topic}/{QueueId} at log offset {LogOffset} (group {Group})")]
    private partial void LogPrepared(string topic, int queueId, long logOffset, string group);

    [LoggerMessage(3, LogLevel.Debug, "Committed the half message at log offset {HalfOffset} to {Topic} (log offset {LogOffset})")]
    private partial void LogCommitted(string topic, long halfOffset, long logOffset);

    [LoggerMessage(4, LogLevel.Debug, "Rolled back the half message at log offset {HalfOffset} for {Topic}")]
    private partial void LogRolledBack(string topic, long halfOffset);

    [LoggerMessage(5, LogLevel.Warning, "Transaction {TransactionId} for topic {Topic} (unique key {UniqueKey}, producer group {Group}) discarded after {Checks} check-backs without an answer")]
    private partial void LogDiscarded(string transactionId, string topic, string uniqueKey, string group, int checks);

    [LoggerMessage(6, LogLevel.Warning, "Half message at log offset {HalfOffset} for {Topic} discarded: {Why}")]
    private partial void LogLost(long halfOffset, string topic, string why);

    [LoggerMessage(7, LogLevel.Warning, "Writing a transaction {Kind} marker for {Count} half messages failed ({Status})")]
    private partial void LogOpFailed(string kind, int count, AppendStatus status);

    [LoggerMessage(8, LogLevel.Error, "Ending the transaction at log offset {HalfOffset} failed; it stays pending")]
    private partial void LogEndFailed(long halfOffset, Exception exception);

    [LoggerMessage(9, LogLevel.Error, "Transaction check loop failed; retrying")]
    private partial void LogLoopFailed(Exception exception);

    [LoggerMessage(10, LogLevel.Debug, "Checked back {Count} transactions: {Resolved} resolved, {Rescheduled} still unknown, {Discarded} discarded")]
    private partial void LogChecked(int count, int resolved, int rescheduled, int discarded);

    [LoggerMessage(11, LogLevel.Warning, "Producer group {Group} could not be reached for check-backs")]
    private partial void LogGroupUnreachable(string group, Exception exception);

    [LoggerMessage(12, LogLevel.Information, "Producer group {Group} has no live producer to check back {Count} transactions")]
    private partial void LogNoProducer(string group, int count);

    [LoggerMessage(13, LogLevel.Information, "Producer {ProducerId} of group {Group} did not answer a check-back of {Count} transactions ({Error}: {Message}); asking another producer")]
    private partial void LogProducerCheckFailed(string group, string producerId, int count, string error, string message);

    [LoggerMessage(14, LogLevel.Warning, "Record at log offset {LogOffset} in the half topic is not a well-formed half message; skipped")]
    private partial void LogBadHalf(long logOffset);
}
