namespace OrleansMq.Grains.Filters.Sql;

/// <summary>
/// Splits a SQL92 filter into tokens. Identifiers start with a letter, <c>_</c> or <c>$</c> and go on with letters,
/// digits, <c>_</c>, <c>.</c> and <c>$</c>; keywords are case-insensitive; strings are single-quoted with <c>''</c> for a
/// quote; numbers are decimal with an optional sign written directly before them (there is no arithmetic, so a sign is
/// always part of a number).
/// </summary>
internal static class SqlLexer
{
    private static readonly Dictionary<string, SqlTokenKind> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["AND"] = SqlTokenKind.And,
        ["OR"] = SqlTokenKind.Or,
        ["NOT"] = SqlTokenKind.Not,
        ["BETWEEN"] = SqlTokenKind.Between,
        ["IN"] = SqlTokenKind.In,
        ["IS"] = SqlTokenKind.Is,
        ["NULL"] = SqlTokenKind.Null,
        ["TRUE"] = SqlTokenKind.True,
        ["FALSE"] = SqlTokenKind.False,
    };

    /// <summary>The tokens of <paramref name="expression"/>, ending with <see cref="SqlTokenKind.End"/>.</summary>
    /// <exception cref="Errors.InvalidRequestException">An unexpected character, an unclosed string or a malformed number.</exception>
    public static List<SqlToken> Tokenize(string expression)
    {
        var tokens = new List<SqlToken>();
        var i = 0;
        while (i < expression.Length)
        {
            var c = expression[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var start = i;
            switch (c)
            {
                case '(':
                    tokens.Add(new SqlToken(SqlTokenKind.LeftParen, start, 1));
                    i++;
                    break;
                case ')':
                    tokens.Add(new SqlToken(SqlTokenKind.RightParen, start, 1));
                    i++;
                    break;
                case ',':
                    tokens.Add(new SqlToken(SqlTokenKind.Comma, start, 1));
                    i++;
                    break;
                case '=':
                    tokens.Add(new SqlToken(SqlTokenKind.Equal, start, 1));
                    i++;
                    break;
                case '<':
                    var less = Next(expression, i) switch
                    {
                        '=' => SqlTokenKind.LessOrEqual,
                        '>' => SqlTokenKind.NotEqual,
                        _ => SqlTokenKind.Less,
                    };
                    i += less == SqlTokenKind.Less ? 1 : 2;
                    tokens.Add(new SqlToken(less, start, i - start));
                    break;
                case '>':
                    var greater = Next(expression, i) == '=' ? SqlTokenKind.GreaterOrEqual : SqlTokenKind.Greater;
                    i += greater == SqlTokenKind.Greater ? 1 : 2;
                    tokens.Add(new SqlToken(greater, start, i - start));
                    break;
                case '!':
                    if (Next(expression, i) != '=')
                    {
                        throw SqlErrors.At(expression, start, "'!' is only allowed in '!=' (not equal); negate a condition with NOT");
                    }

                    tokens.Add(new SqlToken(SqlTokenKind.NotEqual, start, 2));
                    i += 2;
                    break;
                case '\'':
                    tokens.Add(ReadString(expression, ref i));
                    break;
                default:
                    if (StartsNumber(expression, i))
                    {
                        tokens.Add(ReadNumber(expression, ref i));
                    }
                    else if (char.IsLetter(c) || c is '_' or '$')
                    {
                        tokens.Add(ReadWord(expression, ref i));
                    }
                    else if (c is '+' or '-')
                    {
                        throw SqlErrors.At(expression, start, $"'{c}' must be directly followed by a number (there is no arithmetic)");
                    }
                    else
                    {
                        throw SqlErrors.At(
                            expression,
                            start,
                            $"unexpected character '{c}' (U+{(int)c:X4}); allowed are property names (letters, digits, '_', '.', '$'), "
                            + "strings in single quotes, numbers, parentheses, commas and the operators = <> != < > <= >=");
                    }

                    break;
            }
        }

        tokens.Add(new SqlToken(SqlTokenKind.End, expression.Length, 0));
        return tokens;
    }

    private static char Next(string expression, int i) => i + 1 < expression.Length ? expression[i + 1] : '\0';

    private static bool IsDigit(string expression, int i) => i < expression.Length && char.IsAsciiDigit(expression[i]);

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '.' or '$';

    // A number starts with a digit, with '.' and a digit, or with a sign followed by either.
    private static bool StartsNumber(string expression, int i)
    {
        if (expression[i] is '+' or '-')
        {
            i++;
        }

        return IsDigit(expression, i) || (i < expression.Length && expression[i] == '.' && IsDigit(expression, i + 1));
    }

    private static SqlToken ReadNumber(string expression, ref int i)
    {
        var start = i;
        if (expression[i] is '+' or '-')
        {
            i++;
        }

        while (IsDigit(expression, i))
        {
            i++;
        }

        if (i < expression.Length && expression[i] == '.')
        {
            i++;
            while (IsDigit(expression, i))
            {
                i++;
            }
        }

        if (i < expression.Length && expression[i] is 'e' or 'E')
        {
            var exponent = i + 1;
            if (exponent < expression.Length && expression[exponent] is '+' or '-')
            {
                exponent++;
            }

            if (!IsDigit(expression, exponent))
            {
                throw SqlErrors.At(expression, start, $"number '{expression[start..exponent]}' has an exponent without digits; write e.g. 1.5e3");
            }

            i = exponent;
            while (IsDigit(expression, i))
            {
                i++;
            }
        }

        if (i < expression.Length && (IsWordChar(expression[i]) || expression[i] == '.'))
        {
            var end = i;
            while (end < expression.Length && (IsWordChar(expression[end]) || expression[end] == '.'))
            {
                end++;
            }

            throw SqlErrors.At(
                expression,
                start,
                $"'{expression[start..end]}' is not a number; numbers are decimal (42, -7, 3.14, 1.5e3) and property names must not start with a digit");
        }

        var text = expression.AsSpan(start, i - start);
        if (!SqlNumber.TryParse(text, out var number))
        {
            throw SqlErrors.At(expression, start, $"number '{text}' is out of range; numbers must be finite doubles");
        }

        return new SqlToken(SqlTokenKind.Number, start, i - start, Number: number);
    }

    private static SqlToken ReadString(string expression, ref int i)
    {
        var start = i;
        var value = new System.Text.StringBuilder();
        i++;
        while (true)
        {
            if (i >= expression.Length)
            {
                throw SqlErrors.At(expression, start, "the string starting here is not closed; end it with ' (write '' for a quote inside a string)");
            }

            var c = expression[i++];
            if (c != '\'')
            {
                value.Append(c);
            }
            else if (i < expression.Length && expression[i] == '\'')
            {
                value.Append('\'');
                i++;
            }
            else
            {
                return new SqlToken(SqlTokenKind.String, start, i - start, value.ToString());
            }
        }
    }

    private static SqlToken ReadWord(string expression, ref int i)
    {
        var start = i;
        while (i < expression.Length && IsWordChar(expression[i]))
        {
            i++;
        }

        var word = expression[start..i];
        return Keywords.TryGetValue(word, out var keyword)
            ? new SqlToken(keyword, start, i - start, word)
            : new SqlToken(SqlTokenKind.Identifier, start, i - start, word);
    }
}
