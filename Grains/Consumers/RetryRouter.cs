using System.Buffers;
using System.Globalization;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Messages;
using OrleansMq.Grains.Naming;
using OrleansMq.Grains.Routing;
using OrleansMq.Storage;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Consumers;

/// <summary>
/// Moves messages between a topic, a group's retry topic and its dead-letter topic, on the broker that stores the
/// message (so its body never travels back from the consumer). Retry copies carry the reconsume count, the original
/// topic and the original message id; the retry delay is delay level 3 + the reconsume count (10 s … 2 h).
/// </summary>
internal sealed class RetryRouter(MessageStore store, IGrainFactory grainFactory, string broker, int liveBrokers)
{
    public async Task<SendBackResult> SendBackAsync(SendBackRequest request)
    {
        NameValidator.ThrowIfInvalidGroup(request.Group, nameof(request));
        var message = Read(request.LogOffset);
        var properties = MessageProperties.Decode(message.Properties.Span);
        var reconsumed = properties.TryGetValue(PropertyNames.ReconsumeTimes, out var text)
            && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var next = reconsumed + 1;
        properties[PropertyNames.ReconsumeTimes] = next.ToString(CultureInfo.InvariantCulture);
        properties.TryAdd(PropertyNames.RetryTopic, message.Topic);
        properties.TryAdd(PropertyNames.OriginMessageId, message.MessageId.ToString());
        properties.Remove(PropertyNames.DeliverTime);
        properties.Remove(PropertyNames.RealTopic);
        properties.Remove(PropertyNames.RealQueueId);
        properties.Remove(PropertyNames.ProducerSequence);

        var deadLetter = request.DeadLetter || next > request.MaxReconsumeTimes;
        var flags = message.Flags & ~MessageFlags.Scheduled;
        var level = 0;
        string target;
        if (deadLetter)
        {
            target = SystemTopics.DeadLetter(request.Group);
            properties.Remove(PropertyNames.DelayLevel);
        }
        else
        {
            target = SystemTopics.Retry(request.Group);
            level = DelayLevels.ForRetry(reconsumed);
            properties[PropertyNames.DelayLevel] = level.ToString(CultureInfo.InvariantCulture);
            flags |= MessageFlags.Scheduled;
        }

        // RocketMQ's DLQ has one queue; a retry topic gets one queue per live broker so send-backs stay local.
        var route = await EnsureTopicAsync(target, deadLetter ? 1 : Math.Max(1, liveBrokers));
        var id = await AppendAsync(route, target, message, flags, properties, scheduled: !deadLetter);
        return new SendBackResult(target, next, level, id);
    }

    /// <summary>Sends a dead-lettered message back to the topic it originally came from, as a new message.</summary>
    public async Task<SendBackResult> ResendAsync(long logOffset)
    {
        var message = Read(logOffset);
        var properties = MessageProperties.Decode(message.Properties.Span);
        if (!properties.Remove(PropertyNames.RetryTopic, out var original))
        {
            throw new InvalidRequestException($"Message {message.MessageId} in '{message.Topic}' has no original topic ({PropertyNames.RetryTopic}); only dead-lettered messages can be resent.");
        }

        properties.Remove(PropertyNames.ReconsumeTimes);
        properties.Remove(PropertyNames.DelayLevel);
        properties.Remove(PropertyNames.ProducerSequence);
        var route = await grainFactory.GetGrain<ITopicRouteGrain>(original).GetRouteAsync()
            ?? throw new TopicNotFoundException(original, "The dead-lettered message's original topic was deleted.");
        var id = await AppendAsync(route, original, message, message.Flags & ~MessageFlags.Scheduled, properties, scheduled: false);
        return new SendBackResult(original, 0, 0, id);
    }

    private StoredMessage Read(long logOffset) =>
        store.TryReadMessage(logOffset, out var message)
            ? message
            : throw new InvalidRequestException($"Broker '{broker}' has no message at log offset {logOffset} (deleted by retention, or a wrong id).");

    private async Task<TopicRoute> EnsureTopicAsync(string topic, int queueCount)
    {
        var grain = grainFactory.GetGrain<ITopicRouteGrain>(topic);
        if (await grain.GetRouteAsync() is { } route)
        {
            return route;
        }

        try
        {
            return await grain.CreateAsync(new TopicConfig(queueCount));
        }
        catch (TopicExistsException)
        {
            return await grain.GetRouteAsync() ?? throw new TopicNotFoundException(topic);
        }
    }

    private async Task<string> AppendAsync(TopicRoute route, string topic, StoredMessage message, MessageFlags flags, Dictionary<string, string> properties, bool scheduled)
    {
        // Prefer a queue on this broker; else spread by log offset.
        var queue = Array.Find(route.Queues, q => q.Broker == broker) ?? route.Queues[(int)((ulong)message.LogOffset % (ulong)route.Queues.Length)];
        var batch = new ArrayBufferWriter<byte>(message.Body.Length + 512);
        MessageBatchWriter.Write(batch, message.BornTimestamp, flags, MessageProperties.Encode(properties), message.Body.Span);
        var response = await grainFactory.GetGrain<IMessageQueueGrain>(new QueueKey(queue.Broker, topic, queue.QueueId).ToString())
            .AppendAsync(new AppendRequest(batch.WrittenMemory, 1, scheduled));
        if (response.Status is not (SendStatus.Ok or SendStatus.FlushDiskTimeout) || response.Messages.Length != 1)
        {
            throw new OrleansMqException($"Moving message {message.MessageId} to '{topic}' failed: {response.Status}. {response.Error}");
        }

        return new MessageId(response.StoreId, response.Messages[0].LogOffset).ToString();
    }
}
