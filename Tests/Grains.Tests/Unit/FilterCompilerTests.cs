using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Filters;
using OrleansMq.Grains.Messages;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Tests.Unit;

public sealed class FilterCompilerTests
{
    private static StoredRecord Record(byte[] properties) => new() { Properties = properties };

    [Fact]
    public void Compile_MatchAllFilters_ReturnNull()
    {
        Assert.Null(FilterCompiler.Compile(null));
        Assert.Null(FilterCompiler.Compile(FilterExpression.All));
        Assert.Null(FilterCompiler.Compile(FilterExpression.Tags("  *  ")));
        Assert.Null(FilterCompiler.Compile(FilterExpression.Tags("")));
        Assert.Null(FilterCompiler.Compile(FilterExpression.Sql("TRUE")));
    }

    [Fact]
    public void Compile_ByType_TagOrSql()
    {
        Assert.IsType<TagFilter>(FilterCompiler.Compile(FilterExpression.Tags("A || B")));
        Assert.IsType<SqlFilter>(FilterCompiler.Compile(FilterExpression.Sql("a = 1")));
    }

    [Fact]
    public void Compile_UnknownType_RefusedNamingTheTypes()
    {
        var error = Assert.Throws<InvalidRequestException>(() => FilterCompiler.Compile(new FilterExpression((FilterType)7, "x")));
        Assert.Equal("Filter type 7 is unknown; use Tag (0) or Sql92 (1).", error.Message);
    }

    [Fact]
    public void Compile_MalformedSql_RefusedWithPosition()
    {
        var error = Assert.Throws<InvalidRequestException>(() => FilterCompiler.Compile(FilterExpression.Sql("a >> 1")));
        Assert.StartsWith("SQL92 filter 'a >> 1' is invalid at position 3: expected a value after '>' but found '>'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("A || || B", 4, "an empty tag")]
    [InlineData("A ||", 4, "an empty tag")]
    [InlineData("A || *", 4, "'*' combined with tags")]
    public void TagFilter_Malformed_RefusedWithPosition(string expression, int position, string expected)
    {
        var error = Assert.Throws<InvalidRequestException>(() => FilterCompiler.Compile(FilterExpression.Tags(expression)));
        Assert.Contains($"has {expected} at position {position}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TagFilter_TooLong_Refused()
    {
        var error = Assert.Throws<InvalidRequestException>(() => TagFilter.Parse(new string('t', FilterCompiler.MaxExpressionLength + 1)));
        Assert.Contains("4097 characters long; at most 4096", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TagFilter_MatchesExactTagsAndRulesOutByHash()
    {
        var filter = TagFilter.Parse(" TagA || TagB ")!;
        Assert.Equal("TagA || TagB", filter.ToString());
        Assert.True(filter.MayMatch(TagHash.Compute("TagA")));
        Assert.False(filter.MayMatch(TagHash.Compute("TagC")));
        Assert.False(filter.MayMatch(0));
        Assert.True(filter.Matches(Record(MessageProperties.Encode([KeyValuePair.Create("TAGS", "TagB")]))));
        Assert.False(filter.Matches(Record(MessageProperties.Encode([KeyValuePair.Create("TAGS", "tagb")]))));
        Assert.False(filter.Matches(Record([])));
    }

    [Fact]
    public void SqlOnTags_MatchesTheSameMessagesAsTheTagFilter()
    {
        var tags = FilterCompiler.Compile(FilterExpression.Tags("TagA || TagB"))!;
        var sql = FilterCompiler.Compile(FilterExpression.Sql("TAGS IN ('TagA', 'TagB')"))!;
        foreach (var tag in new[] { "TagA", "TagB", "TagC", "taga", "", null })
        {
            var properties = tag is null ? [] : MessageProperties.Encode([KeyValuePair.Create("TAGS", tag)]);
            var hash = tag is null ? 0 : TagHash.Compute(tag);
            Assert.Equal(tags.MayMatch(hash), sql.MayMatch(hash));
            Assert.Equal(tags.Matches(Record(properties)), sql.Matches(Record(properties)));
        }
    }
}
