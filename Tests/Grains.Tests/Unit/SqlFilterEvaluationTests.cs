using OrleansMq.Grains.Filters;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Tests.Unit;

/// <summary>
/// Evaluation of <see cref="SqlFilter"/> against properties encoded as the producer encodes them
/// (<see cref="MessageProperties.Encode(IEnumerable{KeyValuePair{string, string}})"/>), through <c>IMessageFilter.Matches</c>.
/// </summary>
public sealed class SqlFilterEvaluationTests
{
    /// <summary>Properties as "name=value;name=value" (values may be empty; no ';' or '=' inside).</summary>
    private static byte[] Properties(string properties) => MessageProperties.Encode(
        properties.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1])));

    private static bool Matches(string sql, string properties)
    {
        var filter = SqlFilter.Parse(sql);
        return filter is null || filter.Matches(new StoredRecord { Properties = Properties(properties) });
    }

    [Theory]
    [InlineData("a = 5", "a=5", true)]
    [InlineData("a = 5", "a=6", false)]
    [InlineData("a <> 5", "a=6", true)]
    [InlineData("a != 5", "a=5", false)]
    [InlineData("a < 5", "a=4", true)]
    [InlineData("a < 5", "a=5", false)]
    [InlineData("a <= 5", "a=5", true)]
    [InlineData("a > 5", "a=5", false)]
    [InlineData("a > 5", "a=10", true)] // numeric, not "10" < "5" as text
    [InlineData("a >= 5", "a=5", true)]
    [InlineData("a > -1", "a=-0.5", true)]
    [InlineData("a < 1.5", "a=1.49", true)]
    [InlineData("a = 10", "a=10.0", true)]
    [InlineData("a = 10", "a=+10", true)]
    [InlineData("a = 10", "a=1e1", true)]
    [InlineData("a = 0.1", "a=.1", true)]
    [InlineData("5 < a", "a=6", true)]
    [InlineData("5 < a", "a=4", false)]
    [InlineData("a = 9007199254740993", "a=9007199254740993", true)] // 2^53 + 1: integers compare exactly
    [InlineData("a = 9007199254740993", "a=9007199254740992", false)]
    [InlineData("a > 9223372036854775806", "a=9223372036854775807", true)]
    public void Compare_Numbers(string sql, string properties, bool expected) => Assert.Equal(expected, Matches(sql, properties));

    [Theory]
    [InlineData("a > 5", "a=abc")]
    [InlineData("a > 5", "a= 10")] // no whitespace in numbers
    [InlineData("a > 5", "a=10 ")]
    [InlineData("a > 5", "a=0x10")]
    [InlineData("a > 5", "a=NaN")]
    [InlineData("a > 5", "a=Infinity")]
    [InlineData("a > 5", "a=1,000")]
    [InlineData("a > 5", "a=")]
    [InlineData("a = 5", "a=five")]
    [InlineData("a <> 5", "a=five")]
    [InlineData("a BETWEEN 1 AND 10", "a=five")]
    [InlineData("a IN (1, 2)", "a=five")]
    public void Compare_NonNumericValueAsNumber_IsUnknownSoNeitherItNorItsNegationMatches(string sql, string properties)
    {
        Assert.False(Matches(sql, properties));
        Assert.False(Matches($"NOT ({sql})", properties));
    }

    [Theory]
    [InlineData("a = 'x'", "a=x", true)]
    [InlineData("a = 'x'", "a=X", false)] // exact, case-sensitive
    [InlineData("a = 'x'", "a=x ", false)]
    [InlineData("a <> 'x'", "a=y", true)]
    [InlineData("a <> 'x'", "a=x", false)]
    [InlineData("a = '10'", "a=10", true)]
    [InlineData("a = '10'", "a=10.0", false)] // a string literal compares text, not numbers
    [InlineData("a = ''", "a=", true)]
    [InlineData("a = 'it''s'", "a=it's", true)]
    [InlineData("città = 'Zürich'", "città=Zürich", true)]
    [InlineData("a = b", "a=x;b=x", true)]
    [InlineData("a = b", "a=1;b=1.0", false)] // two properties compare as text with = and <>
    [InlineData("a <> b", "a=x;b=y", true)]
    [InlineData("a < b", "a=2;b=10", true)] // ... and as numbers with ordering
    [InlineData("a.b_c$d = 'v'", "a.b_c$d=v", true)]
    [InlineData("A = 'x'", "a=x", false)] // names are case-sensitive
    public void Compare_Strings(string sql, string properties, bool expected) => Assert.Equal(expected, Matches(sql, properties));

    [Theory]
    [InlineData("flag = TRUE", "flag=true", true)]
    [InlineData("flag = TRUE", "flag=TRUE", true)]
    [InlineData("flag = TRUE", "flag=True", true)]
    [InlineData("flag = TRUE", "flag=false", false)]
    [InlineData("flag = FALSE", "flag=False", true)]
    [InlineData("flag <> FALSE", "flag=true", true)]
    [InlineData("flag <> TRUE", "flag=true", false)]
    [InlineData("TRUE = flag", "flag=tRuE", true)]
    public void Compare_Booleans(string sql, string properties, bool expected) => Assert.Equal(expected, Matches(sql, properties));

    [Theory]
    [InlineData("flag = TRUE", "flag=1")]
    [InlineData("flag = TRUE", "flag=yes")]
    [InlineData("flag = FALSE", "flag=")]
    [InlineData("flag <> TRUE", "flag=no")]
    public void Compare_NonBooleanValueAsBoolean_IsUnknown(string sql, string properties)
    {
        Assert.False(Matches(sql, properties));
        Assert.False(Matches($"NOT ({sql})", properties));
    }

    [Theory]
    [InlineData("a = 1")]
    [InlineData("a <> 1")]
    [InlineData("a = 'x'")]
    [InlineData("a <> 'x'")]
    [InlineData("a > 1")]
    [InlineData("a = TRUE")]
    [InlineData("a = b")]
    [InlineData("a BETWEEN 1 AND 2")]
    [InlineData("a NOT BETWEEN 1 AND 2")]
    [InlineData("a IN ('x')")]
    [InlineData("a NOT IN ('x')")]
    [InlineData("a IN (1)")]
    [InlineData("a NOT IN (1)")]
    public void MissingProperty_ComparisonIsUnknown_NeitherItNorNotMatches(string sql)
    {
        Assert.False(Matches(sql, "b=1"));
        Assert.False(Matches($"NOT {sql}", "b=1"));
        Assert.False(Matches($"NOT ({sql})", "b=1"));
    }

    [Theory]
    // a is missing (unknown), b = 2.
    [InlineData("a = 1 OR b = 2", true)] // unknown OR true = true
    [InlineData("a = 1 OR b = 3", false)] // unknown OR false = unknown
    [InlineData("NOT (a = 1 OR b = 3)", false)] // NOT unknown = unknown
    [InlineData("NOT (a = 1 OR b = 2)", false)] // NOT true
    [InlineData("a = 1 AND b = 2", false)] // unknown AND true = unknown
    [InlineData("NOT (a = 1 AND b = 2)", false)] // NOT unknown
    [InlineData("NOT (a = 1 AND b = 3)", true)] // unknown AND false = false, NOT false = true
    [InlineData("a IS NULL AND b = 2", true)]
    [InlineData("a IS NULL OR a = 1", true)]
    [InlineData("NOT NOT b = 2", true)]
    [InlineData("NOT NOT a = 1", false)]
    public void ThreeValuedLogic(string sql, bool expected) => Assert.Equal(expected, Matches(sql, "b=2"));

    [Theory]
    [InlineData("a = 1 OR b = 1 AND c = 1", "a=1;b=0;c=0", true)] // a = 1 OR (b = 1 AND c = 1)
    [InlineData("(a = 1 OR b = 1) AND c = 1", "a=1;b=0;c=0", false)]
    [InlineData("NOT a = 1 AND b = 1", "a=0;b=1", true)] // (NOT a = 1) AND b = 1
    [InlineData("NOT (a = 1 AND b = 1)", "a=0;b=1", true)]
    [InlineData("NOT a = 0 OR b = 1", "a=0;b=1", true)] // (NOT a = 0) OR b = 1
    [InlineData("NOT (a = 0 OR b = 1)", "a=0;b=1", false)]
    public void Precedence(string sql, string properties, bool expected) => Assert.Equal(expected, Matches(sql, properties));

    [Theory]
    [InlineData("a BETWEEN 1 AND 5", "a=1", true)] // bounds included
    [InlineData("a BETWEEN 1 AND 5", "a=5", true)]
    [InlineData("a BETWEEN 1 AND 5", "a=3.5", true)]
    [InlineData("a BETWEEN 1 AND 5", "a=0.99", false)]
    [InlineData("a BETWEEN 1 AND 5", "a=6", false)]
    [InlineData("a BETWEEN 5 AND 1", "a=3", false)]
    [InlineData("a NOT BETWEEN 1 AND 5", "a=6", true)]
    [InlineData("a NOT BETWEEN 1 AND 5", "a=3", false)]
    [InlineData("a BETWEEN -2.5 AND -1", "a=-2", true)]
    [InlineData("a BETWEEN lo AND hi", "a=3;lo=1;hi=5", true)]
    [InlineData("a BETWEEN lo AND hi", "a=0;hi=5", false)] // 0 <= 5 is true, 0 >= missing is unknown: unknown
    [InlineData("a NOT BETWEEN lo AND hi", "a=9;hi=5", true)] // 9 <= 5 is false, so BETWEEN is false whatever lo is
    public void Between(string sql, string properties, bool expected) => Assert.Equal(expected, Matches(sql, properties));

    [Theory]
    [InlineData("a IN ('x', 'y')", "a=y", true)]
    [InlineData("a IN ('x', 'y')", "a=z", false)]
    [InlineData("a IN ('x', 'y')", "a=X", false)]
    [InlineData("a NOT IN ('x', 'y')", "a=z", true)]
    [InlineData("a NOT IN ('x', 'y')", "a=x", false)]
    [InlineData("a IN ('')", "a=", true)]
    [InlineData("a IN (1, 2.5)", "a=1", true)]
    [InlineData("a IN (1, 2.5)", "a=1.0", true)]
    [InlineData("a IN (1, 2.5)", "a=2.5", true)]
    [InlineData("a IN (1, 2.5)", "a=2", false)]
    [InlineData("a IN (2.0)", "a=2", true)]
    [InlineData("a NOT IN (1, 2.5)", "a=3", true)]
    [InlineData("a IN ('1')", "a=1.0", false)]
    public void In(string sql, string properties, bool expected) => Assert.Equal(expected, Matches(sql, properties));

    [Fact]
    public void In_LongLists_UseTheHashedLookupCorrectly()
    {
        var strings = SqlFilter.Parse("a IN (" + string.Join(",", Enumerable.Range(0, 400).Select(i => $"'v{i}'")) + ")")!;
        var numbers = SqlFilter.Parse("a IN (" + string.Join(",", Enumerable.Range(0, 400).Select(i => i * 3)) + ", 0.5)")!;
        for (var i = -5; i < 1205; i++)
        {
            Assert.Equal(i is >= 0 and < 400, strings.Matches(new StoredRecord { Properties = Properties($"a=v{i}") }));
            Assert.Equal(i is >= 0 and < 1200 && i % 3 == 0, numbers.Matches(new StoredRecord { Properties = Properties($"a={i}") }));
        }

        Assert.True(numbers.Matches(new StoredRecord { Properties = Properties("a=0.50") }));
        Assert.False(strings.Matches(new StoredRecord { Properties = Properties("a=V1") }));
    }

    [Theory]
    [InlineData("a IS NULL", "b=1", true)]
    [InlineData("a IS NULL", "a=1", false)]
    [InlineData("a IS NULL", "a=", false)] // an empty value is a value
    [InlineData("a IS NOT NULL", "a=", true)]
    [InlineData("a IS NOT NULL", "", false)]
    [InlineData("NOT a IS NULL", "a=1", true)]
    public void IsNull(string sql, string properties, bool expected) => Assert.Equal(expected, Matches(sql, properties));

    [Theory]
    [InlineData("TAGS = 'TagA'", "TAGS=TagA", true)]
    [InlineData("TAGS = 'TagA'", "TAGS=TagB", false)]
    [InlineData("TAGS = 'TagA'", "a=1", false)]
    [InlineData("TAGS IN ('TagA', 'TagB') AND price > 10", "TAGS=TagB;price=11", true)]
    [InlineData("TAGS IS NULL", "a=1", true)]
    [InlineData("tags = 'TagA'", "TAGS=TagA", false)]
    public void Tags_AreTheTagsProperty(string sql, string properties, bool expected) => Assert.Equal(expected, Matches(sql, properties));

    [Theory]
    [InlineData("TAGS = 'A'", "A", "B,<none>")]
    [InlineData("TAGS = 'A' AND price > 1", "A", "B,<none>")]
    [InlineData("price > 1 AND TAGS IN ('A', 'B')", "A,B", "C,<none>")]
    [InlineData("TAGS IN ('A', 'B') AND TAGS = 'B'", "B", "A,C")]
    [InlineData("TAGS = 'A' OR TAGS IN ('B', 'C')", "A,B,C", "D,<none>")]
    [InlineData("(TAGS = 'A' AND x = 1) OR (TAGS = 'B' AND y = 2)", "A,B", "C,<none>")]
    [InlineData("TAGS = 'A' AND TAGS = 'B'", "", "A,B,<none>")]
    [InlineData("FALSE", "", "A,<none>")]
    [InlineData("TAGS = ''", "<empty>", "A")]
    [InlineData("TAGS = 'A' OR price > 1", "A,B,<none>", "")]
    [InlineData("NOT TAGS = 'A'", "A,B,<none>", "")]
    [InlineData("TAGS <> 'A'", "A,B,<none>", "")]
    [InlineData("TAGS NOT IN ('A')", "A,B,<none>", "")]
    [InlineData("a = 1", "A,<none>", "")]
    public void MayMatch_RulesOutTagsOnlyWhenTheExpressionRequiresThem(string sql, string mayMatch, string ruledOut)
    {
        var filter = SqlFilter.Parse(sql)!;
        static long Hash(string tag) => tag switch { "<none>" => 0, "<empty>" => TagHash.Compute(""u8), _ => TagHash.Compute(tag) };

        foreach (var tag in mayMatch.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.True(filter.MayMatch(Hash(tag)), $"{sql}: tag {tag} must not be ruled out");
        }

        foreach (var tag in ruledOut.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.False(filter.MayMatch(Hash(tag)), $"{sql}: tag {tag} must be ruled out");
        }
    }

    [Fact]
    public void Matches_MalformedPropertyEncoding_TreatsPropertiesAsMissing()
    {
        var filter = SqlFilter.Parse("a = 1")!;
        var truncated = Properties("a=1")[..^1];
        Assert.False(filter.Matches(new StoredRecord { Properties = truncated }));
        Assert.True(SqlFilter.Parse("a IS NULL")!.Matches(new StoredRecord { Properties = truncated }));
    }

    [Fact]
    public void Matches_AllocatesNothing()
    {
        var filter = SqlFilter.Parse(
            "(region IN ('eu', 'us', 'ap') AND price BETWEEN 10 AND 99.5 AND vip = TRUE) "
            + "OR (TAGS = 'TagA' AND NOT qty IN (1, 2, 3) AND note IS NOT NULL AND id <> 'x' AND n > 2.5e1)")!;
        var hits = Properties("region=us;price=42.5;vip=true");
        var misses = Properties("TAGS=TagA;qty=7;note=;id=y;n=24.99");
        Assert.True(filter.Matches(new StoredRecord { Properties = hits }));
        Assert.False(filter.Matches(new StoredRecord { Properties = misses }));

        for (var warmup = 0; warmup < 1000; warmup++)
        {
            filter.Matches(new StoredRecord { Properties = hits });
            filter.Matches(new StoredRecord { Properties = misses });
        }

        var matched = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            matched += filter.Matches(new StoredRecord { Properties = hits }) ? 1 : 0;
            matched += filter.Matches(new StoredRecord { Properties = misses }) ? 1 : 0;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(10_000, matched);
        Assert.Equal(0, allocated);
    }
}
