using OrleansMq.Grains.Naming;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Grains.Tests.Unit;

public sealed class NameValidatorTests
{
    [Theory]
    [InlineData("orders")]
    [InlineData("Orders_2024-v1.eu")]
    [InlineData("a")]
    public void ValidateTopic_ValidNames_Accepted(string topic) => Assert.Null(NameValidator.ValidateTopic(topic));

    [Fact]
    public void ValidateTopic_MaxLength_AcceptedAndOneMoreRefused()
    {
        Assert.Null(NameValidator.ValidateTopic(new string('x', 127)));
        Assert.Contains("at most 127", NameValidator.ValidateTopic(new string('x', 128)));
    }

    [Theory]
    [InlineData("%RETRY%g1")]
    [InlineData("%DLQ%g1")]
    [InlineData("RMQ_SYS_TRANS_HALF_TOPIC")]
    [InlineData("SCHEDULE_TOPIC_XXXX")]
    public void ValidateTopic_SystemTopics_RefusedForUsersAllowedForTheBroker(string topic)
    {
        Assert.Contains("reserved system topic", NameValidator.ValidateTopic(topic));
        Assert.Null(NameValidator.ValidateTopic(topic, allowSystem: true));
    }

    [Fact]
    public void ValidateTopic_BadCharacter_NamesCharacterAndPosition() =>
        Assert.Contains("'/' at position 3", NameValidator.ValidateTopic("abc/def"));

    [Fact]
    public void ValidateGroup_TooLongOrEmpty_Refused()
    {
        Assert.Contains("empty", NameValidator.ValidateGroup(""));
        Assert.Contains("at most 255", NameValidator.ValidateGroup(new string('g', 256)));
        Assert.Null(NameValidator.ValidateGroup("consumers-1"));
    }

    [Fact]
    public void QueueKey_RoundTrips_AndBrokerIsItsFirstPart()
    {
        var key = new QueueKey("broker-a", "topic.x", 17);
        Assert.Equal("broker-a|topic.x|17", key.ToString());
        Assert.Equal(key, QueueKey.Parse(key.ToString()));
        Assert.Equal("broker-a", QueueKey.BrokerOf(key.ToString()).ToString());
        Assert.Equal("broker-a", QueueKey.BrokerOf("broker-a").ToString());
    }

    [Theory]
    [InlineData("nobars")]
    [InlineData("a|b")]
    [InlineData("a|b|x")]
    [InlineData("|b|1")]
    public void QueueKey_Malformed_Throws(string key) => Assert.Throws<FormatException>(() => QueueKey.Parse(key));
}
