namespace OrleansMq.Client.Messages;

/// <summary>Called once when an asynchronous send completes: with a result, or with the exception that ended it.</summary>
public delegate void SendCallback(SendResult? result, Exception? exception);
