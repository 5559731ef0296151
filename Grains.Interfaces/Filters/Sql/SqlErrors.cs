using OrleansMq.Grains.Errors;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary>Builds the errors of the SQL92 parser: they quote the expression, give the position and what is allowed.</summary>
internal static class SqlErrors
{
    // Longer expressions are quoted by their start, plus the text around the error, so a message stays readable.
    private const int QuotedLength = 120;
    private const int NearLength = 24;

    public const string ValueKinds = "a property name, a string in single quotes, a number, TRUE or FALSE";

    public static InvalidRequestException At(string expression, int position, string problem)
    {
        if (expression.Length <= QuotedLength)
        {
            return new InvalidRequestException($"SQL92 filter '{expression}' is invalid at position {position}: {problem}.");
        }

        var near = expression.Substring(position, Math.Min(NearLength, expression.Length - position));
        return new InvalidRequestException(
            $"SQL92 filter '{expression[..QuotedLength]}…' ({expression.Length} characters) is invalid at position {position} (near '{near}'): {problem}.");
    }

    /// <summary>A token as the user wrote it, for "but found …".</summary>
    public static string Describe(string expression, SqlToken token)
    {
        if (token.Kind == SqlTokenKind.End)
        {
            return "the end of the expression";
        }

        var text = token.Length <= NearLength ? expression.Substring(token.Position, token.Length) : expression.Substring(token.Position, NearLength) + "…";
        return $"'{text}'";
    }

    public static string Describe(SqlOperandKind kind) => kind switch
    {
        SqlOperandKind.Property => "a property",
        SqlOperandKind.String => "a string",
        SqlOperandKind.Number => "a number",
        SqlOperandKind.Boolean => "a boolean",
        _ => "NULL",
    };
}
