using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Messages;

namespace OrleansMq.Client.Messages;

/// <summary>A send failed; <see cref="Status"/> says why (RocketMQ MQBrokerException / MQClientException).</summary>
public sealed class MqSendException : OrleansMqException
{
    /// <summary>Creates the exception.</summary>
    public MqSendException(SendStatus status, string message, Exception? inner = null)
        : base(message, inner) => Status = status;

    /// <summary>The broker status, or <see cref="SendStatus.Invalid"/> when no broker answered.</summary>
    public SendStatus Status { get; }
}
