using OrleansMq.Grains.Messages;
using OrleansMq.Storage;

namespace OrleansMq.Grains.Queues;

/// <summary>Maps store statuses to wire statuses.</summary>
internal static class StatusMapping
{
    public static SendStatus ToSendStatus(AppendStatus status) => status switch
    {
        AppendStatus.Ok => SendStatus.Ok,
        AppendStatus.FlushTimeout => SendStatus.FlushDiskTimeout,
        AppendStatus.BodyTooLarge => SendStatus.BodyTooLarge,
        AppendStatus.PropertiesTooLarge => SendStatus.PropertiesTooLarge,
        AppendStatus.MessageIllegal => SendStatus.MessageIllegal,
        AppendStatus.DiskFull => SendStatus.DiskFull,
        AppendStatus.IoError => SendStatus.StoreError,
        AppendStatus.StoreClosed => SendStatus.ServiceUnavailable,
        _ => SendStatus.StoreError,
    };

    public static PullStatus ToPullStatus(ReadStatus status) => status switch
    {
        ReadStatus.Found => PullStatus.Found,
        ReadStatus.NoNewMessage => PullStatus.NoNewMessage,
        ReadStatus.NoMatchedMessage => PullStatus.NoMatchedMessage,
        ReadStatus.OffsetTooSmall => PullStatus.OffsetTooSmall,
        ReadStatus.OffsetTooBig => PullStatus.OffsetTooBig,
        _ => PullStatus.ServiceUnavailable,
    };

    public static string? Describe(AppendStatus status, string broker, MessageStore store) => status switch
    {
        AppendStatus.Ok => null,
        AppendStatus.FlushTimeout => $"Broker '{broker}' wrote the messages but fdatasync took longer than {store.Options.FlushTimeout.TotalSeconds:0.#} s.",
        AppendStatus.BodyTooLarge => $"A message body is empty or larger than the broker's limit of {store.Options.MaxBodySize} bytes.",
        AppendStatus.PropertiesTooLarge => $"A message's properties are larger than the broker's limit of {store.Options.MaxPropertiesSize} bytes.",
        AppendStatus.MessageIllegal => "The batch or a message in it is malformed.",
        AppendStatus.DiskFull => $"Broker '{broker}' refused the messages: free disk space is below its threshold of {store.Options.MinFreeDiskBytes} bytes.",
        AppendStatus.IoError => $"Broker '{broker}' failed to write or flush its commit log; nothing from the batch was stored.",
        AppendStatus.StoreClosed => $"Broker '{broker}' is stopping.",
        _ => $"Broker '{broker}' returned store status {status}.",
    };
}
