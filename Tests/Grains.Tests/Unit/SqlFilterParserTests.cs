using System.Text.RegularExpressions;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Filters;

namespace OrleansMq.Grains.Tests.Unit;

/// <summary>Grammar, precedence, literals, type checks, error positions and limits of <see cref="SqlFilter"/>.</summary>
public sealed partial class SqlFilterParserTests
{
    private static string Canonical(string sql) => SqlFilter.Parse(sql)?.ToString() ?? "TRUE";

    private static (int Position, string Message) Refused(string? sql)
    {
        var error = Assert.Throws<InvalidRequestException>(() => SqlFilter.Parse(sql));
        var match = PositionPattern().Match(error.Message);
        return (match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1, error.Message);
    }

    [GeneratedRegex(@"at position (\d+)")]
    private static partial Regex PositionPattern();

    [Theory]
    [InlineData("a = 1", "(a = 1)")]
    [InlineData("a <> 1", "(a <> 1)")]
    [InlineData("a != 1", "(a <> 1)")]
    [InlineData("a < 1", "(a < 1)")]
    [InlineData("a > 1", "(a > 1)")]
    [InlineData("a <= 1", "(a <= 1)")]
    [InlineData("a >= 1", "(a >= 1)")]
    [InlineData("a=1", "(a = 1)")]
    [InlineData("a>=-1", "(a >= -1)")]
    [InlineData("a = 'x'", "(a = 'x')")]
    [InlineData("a <> 'x'", "(a <> 'x')")]
    [InlineData("a = TRUE", "(a = TRUE)")]
    [InlineData("FALSE <> a", "(a <> FALSE)")]
    [InlineData("a = b", "(a = b)")]
    [InlineData("a < b", "(a < b)")]
    [InlineData("a BETWEEN 1 AND 5", "(a BETWEEN 1 AND 5)")]
    [InlineData("a NOT BETWEEN -1.5 AND 5", "(a NOT BETWEEN -1.5 AND 5)")]
    [InlineData("a IN ('x', 'y')", "(a IN ('x', 'y'))")]
    [InlineData("a NOT IN ('y', 'x', 'y')", "(a NOT IN ('x', 'y'))")]
    [InlineData("a IN (2, 1.5, 1)", "(a IN (1, 2, 1.5))")]
    [InlineData("a IS NULL", "(a IS NULL)")]
    [InlineData("a IS NOT NULL", "(a IS NOT NULL)")]
    [InlineData("TAGS = 'TagA'", "(TAGS = 'TagA')")]
    public void Parse_EveryOperator_CanonicalForm(string sql, string expected) => Assert.Equal(expected, Canonical(sql));

    [Theory]
    [InlineData("a = 1 OR b = 1 AND c = 1", "((a = 1) OR ((b = 1) AND (c = 1)))")]
    [InlineData("a = 1 AND b = 1 OR c = 1", "(((a = 1) AND (b = 1)) OR (c = 1))")]
    [InlineData("NOT a = 1 AND b = 1", "((NOT (a = 1)) AND (b = 1))")]
    [InlineData("NOT a = 1 OR NOT b = 1", "((NOT (a = 1)) OR (NOT (b = 1)))")]
    [InlineData("NOT (a = 1 AND b = 1)", "(NOT ((a = 1) AND (b = 1)))")]
    [InlineData("(a = 1 OR b = 1) AND c = 1", "(((a = 1) OR (b = 1)) AND (c = 1))")]
    [InlineData("a = 1 AND (b = 1 AND c = 1) AND d = 1", "((a = 1) AND (b = 1) AND (c = 1) AND (d = 1))")]
    [InlineData("NOT NOT a = 1", "(NOT (NOT (a = 1)))")]
    [InlineData("a BETWEEN 1 AND 2 AND b = 3", "((a BETWEEN 1 AND 2) AND (b = 3))")]
    [InlineData("((((a = 1))))", "(a = 1)")]
    public void Parse_Precedence_NotThenAndThenOr(string sql, string expected) => Assert.Equal(expected, Canonical(sql));

    [Theory]
    [InlineData("a = 1 and b = 2 Or not c Is Null", "(((a = 1) AND (b = 2)) OR (NOT (c IS NULL)))")]
    [InlineData("a not between 1 AND 2", "(a NOT BETWEEN 1 AND 2)")]
    [InlineData("a not in ('x')", "(a NOT IN ('x'))")]
    [InlineData("a = true OR b = False", "((a = TRUE) OR (b = FALSE))")]
    public void Parse_KeywordsAnyCase(string sql, string expected) => Assert.Equal(expected, Canonical(sql));

    [Theory]
    [InlineData("a = 'it''s'", "(a = 'it''s')")]
    [InlineData("a = ''''", "(a = '''')")]
    [InlineData("a = ''", "(a = '')")]
    [InlineData("a = 'AND OR ( ) , = \"'", "(a = 'AND OR ( ) , = \"')")]
    [InlineData("città = 'Zürich'", "(città = 'Zürich')")]
    [InlineData("a.b_c$d = 1", "(a.b_c$d = 1)")]
    [InlineData("_x = 1", "(_x = 1)")]
    [InlineData("$x = 1", "($x = 1)")]
    [InlineData("a = +5", "(a = 5)")]
    [InlineData("a = -5", "(a = -5)")]
    [InlineData("a = 3.25", "(a = 3.25)")]
    [InlineData("a = .5", "(a = 0.5)")]
    [InlineData("a = -.5", "(a = -0.5)")]
    [InlineData("a = 1e3", "(a = 1000)")]
    [InlineData("a = 2.5E-1", "(a = 0.25)")]
    [InlineData("a = 9223372036854775807", "(a = 9223372036854775807)")]
    [InlineData("a = -9223372036854775808", "(a = -9223372036854775808)")]
    [InlineData("a = 99999999999999999999", "(a = 1E+20)")]
    [InlineData(" \t\na\r\n=\t1 ", "(a = 1)")]
    public void Parse_Literals(string sql, string expected) => Assert.Equal(expected, Canonical(sql));

    [Theory]
    [InlineData("TRUE", "TRUE")]
    [InlineData("FALSE", "FALSE")]
    [InlineData("1 = 1", "TRUE")]
    [InlineData("1 = 1.0", "TRUE")]
    [InlineData("'a' <> 'b'", "TRUE")]
    [InlineData("TRUE = FALSE", "FALSE")]
    [InlineData("2 > 1", "TRUE")]
    [InlineData("3 BETWEEN 1 AND 5", "TRUE")]
    [InlineData("3 NOT BETWEEN 1 AND 5", "FALSE")]
    [InlineData("NOT TRUE", "FALSE")]
    [InlineData("TRUE AND a = 1", "(a = 1)")]
    [InlineData("FALSE OR a = 1", "(a = 1)")]
    [InlineData("FALSE AND a = 1", "FALSE")]
    [InlineData("a = 1 OR TRUE", "TRUE")]
    public void Parse_Constants_AreFolded(string sql, string expected) => Assert.Equal(expected, Canonical(sql));

    [Fact]
    public void Parse_AlwaysTrue_ReturnsNullForMatchAll()
    {
        Assert.Null(SqlFilter.Parse("TRUE"));
        Assert.Null(SqlFilter.Parse("1 = 1 OR a = 2"));
        Assert.NotNull(SqlFilter.Parse("FALSE"));
    }

    [Fact]
    public void Parse_KeepsTheExpressionAsWritten()
    {
        const string sql = "a != 1 and b in ('x')";
        Assert.Equal(sql, SqlFilter.Parse(sql)!.Expression);
    }

    [Theory]
    // Syntax: the position is where the offending token starts (characters counted from 0).
    [InlineData("a >", 3, "found the end of the expression")]
    [InlineData("a > > 5", 4, "expected a value after '>' but found '>'")]
    [InlineData("a = 1 AND", 9, "the end of the expression")]
    [InlineData("a", 1, "expected a comparison after 'a'")]
    [InlineData("a b", 2, "expected a comparison after 'a' but found 'b'")]
    [InlineData("a = 1 b = 2", 6, "expected AND, OR or the end of the expression")]
    [InlineData("a = 1)", 5, "')' has no matching '('")]
    [InlineData("(a = 1", 6, "expected ')' to close the '(' at position 0")]
    [InlineData("(a = 1 OR (b = 2)", 17, "to close the '(' at position 0")]
    [InlineData("()", 1, "expected a value at the start of a condition but found ')'")]
    [InlineData("a = 'abc", 4, "the string starting here is not closed")]
    [InlineData("a = 'it''s", 4, "not closed")]
    [InlineData("a ! 5", 2, "'!' is only allowed in '!='")]
    [InlineData("a # 1", 2, "unexpected character '#'")]
    [InlineData("a = \"x\"", 4, "unexpected character '\"'")]
    [InlineData("a = 5abc", 4, "'5abc' is not a number")]
    [InlineData("a = 1.2.3", 4, "'1.2.3' is not a number")]
    [InlineData("a = 1e", 4, "exponent without digits")]
    [InlineData("a = 1e999", 4, "out of range")]
    [InlineData("a = - 5", 4, "'-' must be directly followed by a number")]
    [InlineData("1a = 5", 0, "property names must not start with a digit")]
    [InlineData("and = 1", 0, "cannot be property names")]
    [InlineData("a = AND", 4, "expected a value after '=' but found 'AND'")]
    [InlineData("a NOT LIKE 'x'", 6, "expected BETWEEN or IN after NOT but found 'LIKE'")]
    [InlineData("a NOT = 1", 6, "expected BETWEEN or IN after NOT")]
    [InlineData("a IS 5", 5, "expected NULL after IS but found '5'")]
    [InlineData("a IS NOT 'x'", 9, "expected NULL after IS NOT")]
    [InlineData("a BETWEEN 1 5", 12, "expected AND between the bounds of BETWEEN but found '5'")]
    [InlineData("a BETWEEN 1 OR 5", 12, "expected AND between the bounds")]
    [InlineData("a IN 'x'", 5, "expected '(' after IN")]
    [InlineData("a IN ()", 6, "the IN list is empty")]
    [InlineData("a IN ('x' 'y')", 10, "expected ',' or ')' in the IN list but found ''y''")]
    [InlineData("a IN ('x',)", 10, "expected a string or a number in the IN list but found ')'")]
    [InlineData("a IN ('x', b)", 11, "IN lists hold literals only")]
    [InlineData("a IN ('x', NULL)", 11, "IN lists hold literals only")]
    [InlineData("a IN ('x', 1)", 11, "the IN list mixes strings and numbers at '1'")]
    [InlineData("a IN (1, 'x')", 9, "mixes strings and numbers")]
    // Types: refused at parse time, at the operand that does not fit.
    [InlineData("'a' BETWEEN 1 AND 2", 0, "BETWEEN compares numbers only but the string 'a' is a string")]
    [InlineData("a BETWEEN 'x' AND 2", 10, "BETWEEN compares numbers only")]
    [InlineData("a BETWEEN 1 AND TRUE", 16, "BETWEEN compares numbers only but TRUE is a boolean")]
    [InlineData("a > 'x'", 4, "'>' compares numbers only but the string 'x' is a string; strings and booleans support = and <>")]
    [InlineData("'x' <= a", 0, "'<=' compares numbers only")]
    [InlineData("a < TRUE", 4, "'<' compares numbers only but TRUE is a boolean")]
    [InlineData("a = NULL", 4, "NULL cannot be compared with '='")]
    [InlineData("NULL != a", 0, "NULL cannot be compared with '!=' (the result is always unknown); test a property with IS NULL or IS NOT NULL")]
    [InlineData("'a' = 1", 6, "'=' compares a string with a number; both sides must have the same type")]
    [InlineData("TRUE <> 'x'", 8, "'<>' compares a boolean with a string")]
    [InlineData("1 IN (1)", 0, "IN tests a property but 1 is a number")]
    [InlineData("'x' IS NULL", 0, "IS NULL tests a property but the string 'x' is a string")]
    [InlineData("a = 1 AND 5", 11, "expected a comparison after 5")]
    public void Parse_Malformed_RefusedWithPosition(string sql, int position, string expected)
    {
        var (at, message) = Refused(sql);
        Assert.Equal(position, at);
        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.Contains($"SQL92 filter '{sql}'", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Parse_Empty_RefusedSayingWhatToWrite(string? sql)
    {
        var (_, message) = Refused(sql);
        Assert.Contains("SQL92 filter is empty", message, StringComparison.Ordinal);
        Assert.Contains("TRUE to match every message", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LongExpressionError_QuotesTheStartAndTheTextNearTheError()
    {
        var sql = "a = 1" + string.Concat(Enumerable.Repeat(" AND a = 1", 30)) + " AND b >";
        var (at, message) = Refused(sql);
        Assert.Equal(sql.Length, at);
        Assert.Contains($"({sql.Length} characters)", message, StringComparison.Ordinal);
        Assert.Contains("near ''", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LengthLimit_4096AcceptedAndLongerRefused()
    {
        var atLimit = "a = '" + new string('x', FilterCompiler.MaxExpressionLength - 6) + "'";
        Assert.Equal(FilterCompiler.MaxExpressionLength, atLimit.Length);
        Assert.NotNull(SqlFilter.Parse(atLimit));

        var (at, message) = Refused(atLimit + " ");
        Assert.Equal(FilterCompiler.MaxExpressionLength, at);
        Assert.Contains("4097 characters long; at most 4096 are allowed", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NestingLimit_64ParenthesesAcceptedAnd65Refused()
    {
        Assert.NotNull(SqlFilter.Parse(new string('(', 64) + "a = 1" + new string(')', 64)));

        var (at, message) = Refused(new string('(', 65) + "a = 1" + new string(')', 65));
        Assert.Equal(64, at);
        Assert.Contains("nests deeper than 64 levels of parentheses and NOT", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NestingLimit_CountsNotAndParenthesesTogether()
    {
        Assert.NotNull(SqlFilter.Parse(string.Concat(Enumerable.Repeat("NOT ", 64)) + "a = 1"));
        Assert.Equal(64 * 4, Refused(string.Concat(Enumerable.Repeat("NOT ", 65)) + "a = 1").Position);

        // Level 65 is the 33rd NOT: each "NOT (" adds two levels.
        Assert.Equal(32 * 5, Refused(string.Concat(Enumerable.Repeat("NOT (", 65)) + "a = 1" + new string(')', 65)).Position);
    }

    [Fact]
    public void Parse_LongFlatChains_AreNotNesting()
    {
        var sql = "a = 1" + string.Concat(Enumerable.Repeat(" OR a = 1 AND b = 2", 200));
        Assert.True(sql.Length < FilterCompiler.MaxExpressionLength);
        Assert.NotNull(SqlFilter.Parse(sql));
    }

    [Fact]
    public void Parse_InListLimit_1024AcceptedAnd1025Refused()
    {
        // Items as short as "7," so that 1025 of them stay within the 4096-character limit.
        static string InList(int count) => "a IN (" + string.Join(",", Enumerable.Repeat("7", count)) + ")";

        Assert.NotNull(SqlFilter.Parse(InList(SqlFilter.MaxInListItems)));

        var sql = InList(SqlFilter.MaxInListItems + 1);
        var (at, message) = Refused(sql);
        Assert.Equal("a IN (".Length + (2 * SqlFilter.MaxInListItems), at);
        Assert.Contains("the IN list has more than 1024 items", message, StringComparison.Ordinal);
    }
}
